// Registered control targets reachable: every webhook, Redis and database a recovery action
// would act through answers now, so an outage is not the moment the service learns its lever
// is gone. Nothing here can trigger an action: a webhook gets a HEAD (never the signed POST an
// executor sends), Redis a PING, a database `select 1`. Probes go through the same target policy
// as the executors, and a failure reads the same for every network cause (no port scanning).
import { SERVICE_CALLER } from '../../../db/caller.js'
import type { TargetRow } from '../../../db/component-targets.js'
import { targetPolicy, type TargetPolicy } from '../../../lib/address-policy.js'
import { outboundFetch } from '../../outbound-http.js'
import { checkedPostgres } from '../../targets/postgres-client.js'
import { checkedRedis } from '../../targets/redis-client.js'
import { refusalOf } from '../../targets/resolve.js'
import type { Assertions } from '../assertions.js'
import type { SelftestDefinition } from '../types.js'

const PROBE_TIMEOUT_MS = 3000

type Target = Omit<TargetRow, 'webhook_secret'>

async function probeWebhook(url: string, policy: TargetPolicy, signal: AbortSignal): Promise<number> {
  const response = await outboundFetch(
    url,
    { method: 'HEAD', signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]) },
    policy
  )
  return response.status
}

async function probeRedis(url: string, policy: TargetPolicy): Promise<string> {
  const redis = await checkedRedis(url, policy, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: PROBE_TIMEOUT_MS,
    commandTimeout: PROBE_TIMEOUT_MS
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return await redis.ping()
  } finally {
    redis.disconnect()
  }
}

async function probeDatabase(url: string, policy: TargetPolicy): Promise<void> {
  const sql = await checkedPostgres(url, policy, { max: 1, applicationName: 'core314-selftest' })
  try {
    await Promise.race([
      sql`select 1`,
      new Promise((_resolve, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS).unref()
      )
    ])
  } finally {
    await sql.end({ timeout: 1 })
  }
}

async function check(assert: Assertions, name: string, what: string, probe: () => Promise<string>): Promise<void> {
  try {
    const { value, ms } = await assert.probe(probe)
    assert.pass(name, `${what} answered ${value} in ${Math.round(ms)} ms`)
  } catch (error) {
    const refusal = refusalOf(error)
    const why = refusal === undefined ? 'is unreachable' : `was not contacted: ${refusal.message}`
    assert.fail(name, `${what} ${why}`, {
      recommendation: `Bring ${what} back or update the component's registration (PUT /v1/components/{name}); recovery actions through it will fail until then`
    })
  }
}

export const controlTargets: SelftestDefinition = {
  name: 'control_targets',
  category: 'healing',
  type: 'reachability',
  description: `Every registered component's control targets answer within ${PROBE_TIMEOUT_MS} ms without being acted on: a HEAD to each webhook (any HTTP answer counts), PING to each Redis, select 1 on each database.`,
  version: '1.0.0',
  defaultSchedule: null,
  timeoutSeconds: 30,
  failureSeverity: 'high',
  target: { componentType: 'registry', componentName: 'components' },
  parameters: () => ({ probe_timeout_ms: PROBE_TIMEOUT_MS }),
  run: async ({ db, config, assert, signal }) => {
    const policy = targetPolicy(config.healing.allowedTargets)
    const targets = await db.asCaller(
      SERVICE_CALLER,
      async tx =>
        await tx<Target[]>`
      select component_name, component_type, organization_id, webhook_url, redis_url, key_prefix, database_url, application_name
      from components where webhook_url is not null or redis_url is not null or database_url is not null
      order by organization_id nulls first, component_name`
    )
    if (targets.length === 0) {
      assert.skip('control_targets_registered', 'no component has a control target registered')
      return
    }
    for (const target of targets) {
      signal.throwIfAborted()
      // Two organizations may both have a component of this name: the organization tells their checks apart.
      const name = `${target.organization_id ?? 'platform'}/${target.component_name}`
      if (target.webhook_url !== null)
        await check(
          assert,
          `${name}_webhook_reachable`,
          `the webhook of ${name}`,
          async () => `HTTP ${await probeWebhook(target.webhook_url as string, policy, signal)}`
        )
      if (target.redis_url !== null)
        await check(
          assert,
          `${name}_redis_reachable`,
          `the Redis of ${name}`,
          async () => await probeRedis(target.redis_url as string, policy)
        )
      if (target.database_url !== null)
        await check(assert, `${name}_database_reachable`, `the database of ${name}`, async () => {
          await probeDatabase(target.database_url as string, policy)
          return 'select 1'
        })
    }
  }
}
