// An ioredis client for a control target, connected to the checked address of the URL's host
// (TLS still names the registered host, so certificates are verified against it).
import { Redis, type RedisOptions } from 'ioredis'
import type { TargetPolicy } from '../../lib/address-policy.js'
import { checkedAddress } from './resolve.js'

export async function checkedRedis(url: string, policy: TargetPolicy, options: RedisOptions): Promise<Redis> {
  const parsed = new URL(url)
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  const host = await checkedAddress(parsed.hostname, policy)
  const tls = parsed.protocol === 'rediss:' ? { tls: { servername: hostname } } : {}
  return new Redis(url, { ...options, host, ...tls })
}
