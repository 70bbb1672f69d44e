import { randomBytes, randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { clearCache } from '../../../../src/services/healing/executors/clear-cache.js'
import type { ComponentTarget, ExecutionRequest } from '../../../../src/services/healing/executors/types.js'
import { closedPort, startControlEndpoint, startSilentServer } from '../../../helpers/control-endpoint.js'
import { targetPolicy } from '../../../../src/lib/address-policy.js'

// Database 5, so the suite never touches keys other code keeps in database 0.
const REDIS_URL = 'redis://127.0.0.1:6379/5'

const redis = new Redis(REDIS_URL)
t.teardown(async () => {
  await redis.quit()
})

// The suite's targets listen on 127.0.0.1, which the policy refuses unless allow-listed.
const LOCAL_TARGETS = targetPolicy(['127.0.0.1'])

function uniquePrefix(): string {
  return `core314-test:${randomBytes(6).toString('hex')}:`
}

/** Writes keys and deletes whatever is left of them when the test ends. */
async function seed(t: Test, keys: string[]): Promise<void> {
  t.teardown(async () => {
    await redis.del(...keys)
  })
  const pipeline = redis.pipeline()
  for (const key of keys) pipeline.set(key, 'cached')
  await pipeline.exec()
}

async function existing(keys: string[]): Promise<string[]> {
  const flags = await Promise.all(keys.map(async key => await redis.exists(key)))
  return keys.filter((_key, index) => flags[index] === 1)
}

function redisTarget(keyPrefix: string | undefined, extra: Partial<ComponentTarget> = {}): ComponentTarget {
  return {
    component_name: 'catalog',
    component_type: 'service',
    redis_url: REDIS_URL,
    ...(keyPrefix === undefined ? {} : { key_prefix: keyPrefix }),
    ...extra
  }
}

function request(target: ComponentTarget | null, overrides: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    actionId: randomUUID(),
    actionType: 'clear_cache',
    organizationId: null,
    componentName: 'catalog',
    parameters: {},
    attempt: 1,
    target,
    dryRun: false,
    policy: LOCAL_TARGETS,
    signal: AbortSignal.timeout(10_000),
    ...overrides
  }
}

t.test('deletes every key under the prefix, across many SCAN pages, and nothing else', async t => {
  const prefix = uniquePrefix()
  const inside = Array.from({ length: 250 }, (_v, i) => `${prefix}item:${i}`)
  const outside = [`${prefix.slice(0, -1)}`, `${prefix.slice(0, -1)}-sibling:1`, `other:${prefix}1`]
  await seed(t, [...inside, ...outside])

  const result = await clearCache.execute(request(redisTarget(prefix), { parameters: { batch_size: 40 } }))

  t.equal(result.success, true)
  t.equal(result.simulated, false)
  t.equal(result.result.keys_deleted, 250)
  t.match(result.output, /deleted 250 Redis keys of catalog/)
  t.same(await existing(inside), [], 'the prefixed keys are gone')
  t.same(await existing(outside), outside, 'the keys outside the prefix remain')
})

t.test('glob characters in the prefix match literally', async t => {
  const base = uniquePrefix()
  const prefix = `${base}[ab]*?:`
  const inside = [`${prefix}1`, `${prefix}2`]
  // What the prefix would match as a glob pattern: must survive.
  const lookalikes = [`${base}a-anything?:1`, `${base}bx::1`]
  await seed(t, [...inside, ...lookalikes])

  const result = await clearCache.execute(request(redisTarget(prefix)))

  t.equal(result.result.keys_deleted, 2)
  t.same(await existing(inside), [])
  t.same(await existing(lookalikes), lookalikes)
})

t.test('an empty or missing prefix is refused as UNSAFE_TARGET and nothing is deleted', async t => {
  const keys = [`${uniquePrefix()}a`, `${uniquePrefix()}b`]
  await seed(t, keys)

  for (const keyPrefix of ['', undefined]) {
    const result = await clearCache.execute(request(redisTarget(keyPrefix)))
    t.match(result, { success: false, errorCode: 'UNSAFE_TARGET', retryable: false })
    t.match(result.error, /no key_prefix/)
    // The refusal stands even when the component also has a webhook to fall back on.
    const withWebhook = await clearCache.execute(
      request(redisTarget(keyPrefix, { webhook_url: 'http://127.0.0.1:1/x', webhook_secret: 's' }))
    )
    t.equal(withWebhook.errorCode, 'UNSAFE_TARGET')
  }
  t.same(await existing(keys), keys)
})

t.test('a dry run deletes nothing and says what it would delete', async t => {
  const prefix = uniquePrefix()
  const keys = [`${prefix}1`, `${prefix}2`]
  await seed(t, keys)

  const result = await clearCache.execute(request(redisTarget(prefix), { dryRun: true }))

  t.match(result, { success: true, simulated: true })
  t.match(result.output, new RegExp(`would delete the Redis keys of catalog starting with "${prefix}"`))
  t.same(await existing(keys), keys)
})

t.test("without a Redis the component's webhook is asked to clear its cache", async t => {
  const endpoint = await startControlEndpoint(t, { secret: 'cache-secret' })
  const target: ComponentTarget = {
    component_name: 'catalog',
    component_type: 'service',
    webhook_url: endpoint.url,
    webhook_secret: 'cache-secret'
  }

  const result = await clearCache.execute(request(target, { parameters: { batch_size: 10 } }))

  t.match(result, { success: true, simulated: false, result: { via: 'webhook' } })
  t.equal(endpoint.requests.length, 1)
  t.equal(endpoint.requests[0]?.signatureValid, true)
  t.match(endpoint.requests[0]?.body, { action_type: 'clear_cache', parameters: { batch_size: 10 } })
})

t.test('a Redis that does not answer is a retryable NETWORK failure with nothing deleted', async t => {
  const result = await clearCache.execute(
    request(redisTarget(uniquePrefix(), { redis_url: `redis://127.0.0.1:${await closedPort()}/5` }))
  )

  t.match(result, { success: false, errorCode: 'NETWORK', retryable: true, result: { keys_deleted: 0 } })
})

t.test('a signal that already fired stops the clear before it starts: TIMEOUT, keys intact', async t => {
  const prefix = uniquePrefix()
  const keys = [`${prefix}1`]
  await seed(t, keys)
  const signal = AbortSignal.timeout(1)
  await new Promise(resolve => setTimeout(resolve, 20))

  const result = await clearCache.execute(request(redisTarget(prefix), { signal }))

  t.match(result, { success: false, errorCode: 'TIMEOUT', retryable: true })
  t.same(await existing(keys), keys)
})

t.test('a Redis that never answers is cut off by the signal: TIMEOUT, returned promptly', async t => {
  const silent = await startSilentServer(t)
  const started = Date.now()

  const result = await clearCache.execute(
    request(redisTarget(uniquePrefix(), { redis_url: `redis://127.0.0.1:${silent}/5` }), {
      signal: AbortSignal.timeout(300)
    })
  )

  t.match(result, { success: false, errorCode: 'TIMEOUT', retryable: true, result: { keys_deleted: 0 } })
  t.ok(Date.now() - started < 3000, `returned after ${Date.now() - started} ms`)
})
