// The list syntaxes no JSON Schema keyword expresses: each parser takes the variable's raw
// value (already trimmed, never empty) and refuses a bad entry naming the variable.
import { cronProblem } from '../lib/cron.js'
import { isIP } from 'node:net'
import { allowEntryProblem } from '../lib/address-policy.js'
import { ACTION_TYPE_PATTERN } from './schema.js'
import { ConfigError } from './error.js'
import { UUID_PATTERN } from '../lib/uuid.js'

const SEVERITIES = ['low', 'medium', 'high', 'critical']
const ACTION_TYPE = new RegExp(ACTION_TYPE_PATTERN)

function entries(raw: string, separator: string): string[] {
  return raw
    .split(separator)
    .map(entry => entry.trim())
    .filter(entry => entry !== '')
}

/** HEAL_ACTION_MAP: "latency_spike:critical=restart_function,error_rate_increase:high=circuit_breaker". */
export function actionMap(name: string, raw: string | undefined): Record<string, string> {
  if (raw === undefined) return {}
  return Object.fromEntries(
    entries(raw, ',').map(entry => {
      const match = /^([a-z][a-z0-9_]{0,63}):([a-z]+)=([a-z][a-z0-9_]{0,63})$/.exec(entry)
      if (match === null || !SEVERITIES.includes(match[2] as string)) {
        throw new ConfigError(
          name,
          `entries are anomaly_type:severity=action_type with severity one of ${SEVERITIES.join(', ')}, got "${entry}"`
        )
      }
      return [`${match[1] as string}:${match[2] as string}`, match[3] as string]
    })
  )
}

/** HEAL_APPROVAL_TYPES: "rollback_deployment,scale_down". */
export function actionTypes(name: string, raw: string): string[] {
  const list = entries(raw, ',')
  const bad = list.find(entry => !ACTION_TYPE.test(entry))
  if (bad !== undefined) throw new ConfigError(name, `must be a comma-separated list of action types, got "${bad}"`)
  return list
}

// "rls_isolation=*/5 * * * *;llm_reachability=off": ';' separates entries, since cron uses ','.
function testEntries<T>(
  name: string,
  raw: string | undefined,
  value: (raw: string, entry: string) => T
): Record<string, T> {
  if (raw === undefined) return {}
  return Object.fromEntries(
    entries(raw, ';').map(entry => {
      const match = /^([a-z][a-z0-9_]{0,63})\s*=\s*(.+)$/.exec(entry)
      if (match === null) throw new ConfigError(name, `entries are test_name=value separated by ";", got "${entry}"`)
      return [match[1] as string, value((match[2] as string).trim(), entry)] as const
    })
  )
}

/** SELFTEST_SCHEDULES: test name -> its cron expression, or null for "off". */
export function testSchedules(name: string, raw: string | undefined): Record<string, string | null> {
  return testEntries(name, raw, (value, entry) => {
    if (value.toLowerCase() === 'off') return null
    const problem = cronProblem(value)
    if (problem !== undefined)
      throw new ConfigError(name, `"${entry}" does not end in a cron expression (5 or 6 fields) or "off": ${problem}`)
    return value
  })
}

/** SELFTEST_BASELINES: test name -> a pinned result id (lower case). */
export function testBaselines(name: string, raw: string | undefined): Record<string, string> {
  return testEntries(name, raw, (value, entry) => {
    if (!UUID_PATTERN.test(value)) throw new ConfigError(name, `"${entry}" does not end in a result id (a UUID)`)
    return value.toLowerCase()
  })
}

/**
 * TRUST_PROXY: "1" (one proxy in front: the address it appends to X-Forwarded-For is the
 * client's) or "10.0.0.0/8, 192.168.1.7" (only these proxies are believed). Unset, the header
 * is ignored, so no client can choose the address its requests are counted under.
 */
export function trustedProxies(name: string, raw: string | undefined): false | number | string[] {
  if (raw === undefined) return false
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw)
    if (hops < 1 || hops > 32) throw new ConfigError(name, `a hop count must be between 1 and 32, got ${hops}`)
    return hops
  }
  const list = entries(raw, ',')
  for (const entry of list) {
    const [address = '', prefix, ...rest] = entry.split('/')
    const family = isIP(address)
    const bits = family === 4 ? 32 : 128
    if (family === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > bits))) {
      throw new ConfigError(
        name,
        `must be a number of proxy hops or a comma-separated list of proxy addresses and CIDRs, got "${entry}"`
      )
    }
  }
  return list
}

/** HEAL_ALLOWED_TARGETS: "10.0.0.0/8,cache.internal,fd00::/8", each a host name, an address or a CIDR range. */
export function allowedTargets(name: string, raw: string | undefined): string[] {
  if (raw === undefined) return []
  return entries(raw, ',').map(entry => {
    const problem = allowEntryProblem(entry)
    if (problem !== undefined) throw new ConfigError(name, `"${entry}" ${problem}`)
    return entry.toLowerCase()
  })
}
