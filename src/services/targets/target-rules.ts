// The rules a registration's control targets must meet before anything is stored, each naming
// its field: hosts inside the target policy, no credentials in webhook URLs (requests are
// signed instead), a Redis prefix that ends at a delimiter, and no reset of the service itself.
import { SERVICE_APPLICATION_NAMES } from '../../db/client.js'
import { hostRefusal, type TargetPolicy } from '../../lib/address-policy.js'
import { postgresDatabase, postgresHosts } from './postgres-client.js'

export interface FieldProblem {
  path: string
  message: string
}

/** The registration's target fields; null and absent both mean "none". */
export interface TargetFields {
  webhook_url?: string | null | undefined
  redis_url?: string | null | undefined
  key_prefix?: string | null | undefined
  database_url?: string | null | undefined
  application_name?: string | null | undefined
}

export interface TargetRules {
  policy: TargetPolicy
  /** HEAL_ALLOW_SELF_RESET: the service's own database and application names may be reset. */
  allowSelfReset: boolean
  /** The service's own database, as config.databaseUrl names it. */
  ownDatabaseUrl: string | undefined
}

/** `cache:` stops at a delimiter; `cache` would also match `cache_sessions:...` of someone else. */
export const KEY_PREFIX_DELIMITERS = [':', '/', '.', '-', '_', '|', '#']

// Query parameters that carry a credential: matched at the end of the name, as redaction does.
const CREDENTIAL_PARAM =
  /(?:password|passwd|pwd|pass|secret|token|api[_-]?key|apikey|key|auth|authorization|credentials?|sig|signature|session[_-]?id|code)$/i

export function keyPrefixProblem(prefix: string): string | undefined {
  return KEY_PREFIX_DELIMITERS.some(delimiter => prefix.endsWith(delimiter))
    ? undefined
    : `must end with a delimiter (one of ${KEY_PREFIX_DELIMITERS.join(' ')}), such as "cache:" rather than "cache", so it cannot match another application's keys`
}

export function webhookUrlProblem(url: string): string | undefined {
  const parsed = new URL(url)
  if (parsed.username !== '' || parsed.password !== '')
    return 'must not carry credentials (user:password@); requests are signed with the webhook secret instead'
  const named = [...parsed.searchParams.keys()].find(name => CREDENTIAL_PARAM.test(name))
  if (named !== undefined)
    return `must not carry credentials in its query string (${named}); requests are signed with the webhook secret instead`
  return undefined
}

// The hosts a target URL names, read as its client reads it: the WHATWG URL parser for webhooks
// (undici) and Redis (parsed before ioredis gets it), postgres.js's own reading for databases.
// Undefined where the client could not read it: the schema's "uri" format and scheme patterns
// follow RFC 3986, which takes hosts such as exa%20mple.com that the URL parser refuses.
function hostsOf(field: string, url: string): string[] | undefined {
  try {
    if (field === 'database_url') return postgresHosts(url).map(({ host }) => host)
    return [new URL(url).hostname]
  } catch {
    return undefined
  }
}

function sameDatabase(url: string, own: string): boolean {
  const key = (value: string): string[] =>
    postgresHosts(value).map(
      ({ host, port }) => `${host.toLowerCase().replace(/\.$/, '')}:${port}/${postgresDatabase(value)}`
    )
  const mine = new Set(key(own))
  return key(url).some(entry => mine.has(entry))
}

export function targetProblems(input: TargetFields, rules: TargetRules): FieldProblem[] {
  const problems: FieldProblem[] = []
  // The rules below read these URLs too, and would throw on one that does not parse.
  const readable: Partial<TargetFields> = {}
  for (const field of ['webhook_url', 'redis_url', 'database_url'] as const) {
    const url = input[field] ?? undefined
    if (url === undefined) continue
    const hosts = hostsOf(field, url)
    if (hosts === undefined) {
      problems.push({
        path: `/body/${field}`,
        message: 'is not a URL its client can read: the host or port does not parse'
      })
      continue
    }
    readable[field] = url
    const refused = hosts.map(host => hostRefusal(host, rules.policy)).find(problem => problem !== undefined)
    if (refused !== undefined) problems.push({ path: `/body/${field}`, message: `host ${refused}` })
  }
  if (typeof readable.webhook_url === 'string') {
    const problem = webhookUrlProblem(readable.webhook_url)
    if (problem !== undefined) problems.push({ path: '/body/webhook_url', message: problem })
  }
  if (typeof input.key_prefix === 'string') {
    const problem = keyPrefixProblem(input.key_prefix)
    if (problem !== undefined) problems.push({ path: '/body/key_prefix', message: problem })
  }
  if (!rules.allowSelfReset) {
    if (typeof input.application_name === 'string' && SERVICE_APPLICATION_NAMES.includes(input.application_name)) {
      problems.push({
        path: '/body/application_name',
        message:
          "is one of this service's own application names; resetting it would cut the service off (HEAL_ALLOW_SELF_RESET allows it)"
      })
    }
    if (
      typeof readable.database_url === 'string' &&
      rules.ownDatabaseUrl !== undefined &&
      sameDatabase(readable.database_url, rules.ownDatabaseUrl)
    ) {
      problems.push({
        path: '/body/database_url',
        message:
          "is this service's own database, which reset_connection may not act on unless HEAL_ALLOW_SELF_RESET is set"
      })
    }
  }
  return problems
}
