// A postgres.js client for a control target: every host of a (possibly multi-host) URL is
// resolved and checked, and the client is given those addresses instead of the names.
import { createSql, type PoolOptions, type Sql } from '../../db/client.js'
import type { TargetPolicy } from '../../lib/address-policy.js'
import { checkedAddress } from './resolve.js'

/** The host:port pairs of a PostgreSQL URL, as postgres.js reads them (several, comma-separated). */
export function postgresHosts(url: string): Array<{ host: string; port: number }> {
  const authority = url.slice(url.indexOf('://') + 3).split(/[/?#]/)[0] ?? ''
  const hosts = decodeURIComponent(authority.slice(authority.lastIndexOf('@') + 1))
  return hosts.split(',').map(entry => {
    const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(entry)
    return { host: match?.[1] ?? entry, port: Number(match?.[2] ?? 5432) }
  })
}

/**
 * The database a PostgreSQL URL names (the path after its hosts), as postgres.js takes it: as
 * written, not percent-decoded, so `/%61pp` names a database called "%61pp", not "app".
 */
export function postgresDatabase(url: string): string {
  const rest = url.slice(url.indexOf('://') + 3)
  const pathStart = rest.search(/[/?#]/)
  if (pathStart === -1 || rest[pathStart] !== '/') return ''
  return rest.slice(pathStart + 1).split(/[?#]/)[0] ?? ''
}

export async function checkedPostgres(url: string, policy: TargetPolicy, options: PoolOptions): Promise<Sql> {
  const hosts = postgresHosts(url)
  const addresses = await Promise.all(hosts.map(async ({ host }) => await checkedAddress(host, policy)))
  return createSql(url, { ...options, hosts: addresses, ports: hosts.map(({ port }) => port) })
}
