// The target policy at connection time, through the executors: a row registered before the rule
// existed (or a name that resolves inward, such as localhost) is refused as it is connected,
// before a single byte reaches it, for webhooks, Redis and PostgreSQL alike; the allow-list lets
// it through; and reset_connection recognises the service's own database however it is spelled.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { createSql } from '../../../src/db/client.js'
import { createDb } from '../../../src/db/port.js'
import { getExecutor } from '../../../src/services/healing/executors/registry.js'
import type {
  ComponentTarget,
  ExecutionRequest,
  ExecutionResult
} from '../../../src/services/healing/executors/types.js'
import { targetPolicy, type TargetPolicy } from '../../../src/lib/address-policy.js'
import { startControlEndpoint } from '../../helpers/control-endpoint.js'
import { freshDatabase } from '../../helpers/database.js'
import { REFUSED_SPELLINGS } from '../../helpers/refused-hosts.js'

const SECRET = 'whsec_Y29ubmVjdGlvbi10aW1lLXRlc3Qtc2VjcmV0LTAx'
const REDIS_PORT = 6379
const STRICT = targetPolicy([])

async function run(
  actionType: string,
  target: ComponentTarget,
  policy: TargetPolicy,
  extra: Partial<ExecutionRequest> = {}
): Promise<ExecutionResult> {
  const executor = getExecutor(actionType)
  if (executor === undefined) throw new Error(`no executor ${actionType}`)
  return await executor.execute({
    actionId: randomUUID(),
    actionType,
    organizationId: null,
    componentName: 'api',
    parameters: {},
    attempt: 1,
    target,
    dryRun: false,
    signal: AbortSignal.timeout(5000),
    policy,
    ...extra
  })
}

const webhook = (url: string): ComponentTarget => ({
  component_name: 'api',
  component_type: 'service',
  webhook_url: url,
  webhook_secret: SECRET
})

t.test('a webhook on a refused address is not contacted, whatever the spelling', async t => {
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  const port = new URL(endpoint.url).port
  for (const [spelling] of REFUSED_SPELLINGS) {
    const result = await run('restart_function', webhook(`http://${spelling}:${port}/control`), STRICT)
    t.match(result, { success: false, errorCode: 'TARGET_REFUSED', retryable: false }, spelling)
  }
  t.equal(endpoint.requests.length, 0, 'nothing reached the endpoint')
})

t.test('a name resolving to loopback is refused at connection time unless allow-listed', async t => {
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  const url = endpoint.url.replace('127.0.0.1', 'localhost')
  const refused = await run('restart_function', webhook(url), STRICT)
  t.match(refused, { success: false, errorCode: 'TARGET_REFUSED', error: /resolves to a loopback address/ })
  t.equal(endpoint.requests.length, 0)

  const allowed = await run('restart_function', webhook(url), targetPolicy(['localhost']))
  t.match(allowed, { success: true })
  t.equal(endpoint.requests.length, 1)
  t.equal(endpoint.requests[0]?.signatureValid, true)
})

t.test('a Redis on a refused address or name is not contacted; allow-listed it is', async t => {
  const redis = new Redis(`redis://127.0.0.1:${REDIS_PORT}/5`)
  t.teardown(async () => {
    await redis.quit()
  })
  const prefix = `targets-${randomUUID()}:`
  await redis.set(`${prefix}a`, '1')
  t.teardown(async () => {
    await redis.del(`${prefix}a`)
  })
  const target = (host: string): ComponentTarget => ({
    component_name: 'api',
    component_type: 'service',
    redis_url: `redis://${host}:${REDIS_PORT}/5`,
    key_prefix: prefix
  })

  for (const host of ['0x7f.1', '2130706433', '[::127.0.0.1]', 'localhost']) {
    t.match(
      await run('clear_cache', target(host), STRICT),
      { success: false, errorCode: 'TARGET_REFUSED', retryable: false },
      host
    )
  }
  t.equal(await redis.exists(`${prefix}a`), 1, 'nothing was deleted')
  t.match(await run('clear_cache', target('0x7f.1'), targetPolicy(['127.0.0.1'])), {
    success: true,
    result: { keys_deleted: 1 }
  })
})

t.test(
  "a database on a refused address or name is not contacted, and the service's own database is refused however spelled",
  async t => {
    const { url } = await freshDatabase(t)
    const spelled = (host: string): string => {
      const parsed = new URL(url)
      parsed.hostname = host
      return parsed.toString()
    }
    const target = (databaseUrl: string, applicationName = 'victim-app'): ComponentTarget => ({
      component_name: 'api',
      component_type: 'service',
      database_url: databaseUrl,
      application_name: applicationName
    })

    for (const host of ['0x7f.1', '[::127.0.0.1]', 'localhost']) {
      t.match(
        await run('reset_connection', target(spelled(host)), STRICT),
        { success: false, errorCode: 'TARGET_REFUSED', retryable: false },
        host
      )
    }
    t.match(await run('reset_connection', target(spelled('localhost')), targetPolicy(['localhost'])), { success: true })

    const own = createSql(url, { max: 1 })
    t.teardown(async () => {
      await own.end({ timeout: 1 })
    })
    const policy = targetPolicy(['localhost', '127.0.0.1'])
    t.match(
      await run('reset_connection', target(spelled('localhost')), policy, { db: createDb(own) }),
      { success: false, errorCode: 'SELF_TARGET', retryable: false },
      'the own database under another spelling'
    )
    t.match(
      await run('reset_connection', target(spelled('localhost')), policy, { db: createDb(own), allowSelfReset: true }),
      { success: true },
      'HEAL_ALLOW_SELF_RESET lets it through'
    )
    t.match(
      await run('reset_connection', target(url, 'core314-self-healing'), policy),
      { success: false, errorCode: 'SELF_TARGET' },
      "the service's own application name"
    )
  }
)
