// GET /v1/stream over real HTTP: changes made through one instance reach streams open on
// another (LISTEN/NOTIFY), a member's stream names only their rows, Last-Event-ID resumes
// after what was seen, the per-caller limit, a draining instance ends its streams (one that
// drains while a stream opens leaves nothing running; one asked for after gets 503), and a stream
// ends when its token expires.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { buildApp } from '../../../src/app.js'
import type { Config } from '../../../src/config.js'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { openStream } from '../../helpers/event-stream.js'

const signal = (overrides: Record<string, unknown>) => ({
  anomaly_type: 'latency_spike',
  severity: 'high',
  source_type: 'system_health_events',
  source_component_name: 'checkout',
  baseline_value: 180,
  observed_value: 2400,
  ...overrides
})

async function storeSignal(ctx: TestApp, overrides: Record<string, unknown>): Promise<string> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies',
    headers: ctx.service.headers,
    payload: signal({ source_component_name: `c-${randomUUID()}`, ...overrides })
  })
  if (res.statusCode !== 201) throw new Error(res.body)
  return (res.json() as { id: string }).id
}

async function listening(t: Test, ctx: TestApp, overrides: Partial<Config> = {}) {
  const app = await buildApp({ ...ctx.config, ...overrides }, { logger: false })
  t.teardown(async () => {
    await app.close()
  })
  return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) }
}

t.test('a change through one instance reaches the streams on another, filtered by caller', async t => {
  const ctx = await buildTestApp(t)
  const { url } = await listening(t, ctx)
  const userStream = await openStream(url, ctx.user.token)
  const adminStream = await openStream(url, ctx.admin.token)
  t.teardown(() => {
    userStream.close()
    adminStream.close()
  })
  t.equal(userStream.status, 200)
  const others = await storeSignal(ctx, { user_id: ctx.otherUser.id })
  const own = await storeSignal(ctx, { user_id: ctx.user.id })
  const seen = await adminStream.waitFor(event => event.data.id === own)
  t.match(seen, { event: 'anomaly', data: { topic: 'anomaly', op: 'insert' } })
  t.ok(
    adminStream.events.some(event => event.data.id === others),
    'the admin hears every row'
  )
  await userStream.waitFor(event => event.data.id === own)
  t.notOk(
    userStream.events.some(event => event.data.id === others),
    "a member never hears of another member's row"
  )
  const mode = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/self-healing/mode',
    headers: ctx.admin.headers,
    payload: { mode: 'off', reason: 'maintenance' }
  })
  t.equal(mode.statusCode, 200)
  await userStream.waitFor(event => event.event === 'healing_mode')
})

t.test('Last-Event-ID resumes after the last event seen, once', async t => {
  const ctx = await buildTestApp(t)
  const { url } = await listening(t, ctx)
  const first = await openStream(url, ctx.admin.token)
  const before = await storeSignal(ctx, {})
  const seen = await first.waitFor(event => event.data.id === before)
  first.close()
  const missed = await storeSignal(ctx, {})
  const resumed = await openStream(url, ctx.admin.token, seen.id)
  t.teardown(() => resumed.close())
  await resumed.waitFor(event => event.data.id === missed)
  t.notOk(
    resumed.events.some(event => event.data.id === before),
    'nothing up to Last-Event-ID is sent again'
  )
  const bad = await fetch(`${url}/v1/stream`, {
    headers: { authorization: `Bearer ${ctx.admin.token}`, 'last-event-id': 'yesterday' }
  })
  t.equal(bad.status, 400)
  t.match(await bad.json(), { errors: [{ path: '/headers/last-event-id' }] })
  const anonymous = await fetch(`${url}/v1/stream`)
  t.equal(anonymous.status, 401)
})

t.test('each caller holds a bounded number of streams; a draining instance ends them', async t => {
  const ctx = await buildTestApp(t)
  const { app, url } = await listening(t, ctx, { streamMaxPerCaller: 2 })
  const streams = [await openStream(url, ctx.user.token), await openStream(url, ctx.user.token)]
  const refused = await fetch(`${url}/v1/stream`, { headers: ctx.user.headers })
  t.equal(refused.status, 429)
  t.match(refused.headers.get('content-type'), /application\/problem\+json/)
  t.match(await refused.json(), { code: 'RATE_LIMITED', detail: /at most 2 event streams/ })
  t.equal(refused.headers.get('retry-after'), '3', 'with Retry-After, the pause between reconnections')
  const other = await openStream(url, ctx.otherUser.token)
  t.equal(other.status, 200, 'the limit is per caller')
  streams[0]?.close()
  // The server hears the close when the socket goes; poll until the slot is free.
  let reopened = await openStream(url, ctx.user.token)
  for (let tries = 0; reopened.status === 429 && tries < 100; tries++) {
    await new Promise(resolve => setTimeout(resolve, 50))
    reopened = await openStream(url, ctx.user.token)
  }
  t.equal(reopened.status, 200, 'a closed stream frees its slot')
  await app.close()
  await Promise.all([streams[1]?.ended, other.ended, reopened.ended])
  t.pass('closing the app ended every open stream')
})

t.test("a stream ends when its caller's token expires, and names nothing after", async t => {
  const ctx = await buildTestApp(t)
  const { url } = await listening(t, ctx)
  const token = await ctx.token(
    { sub: ctx.user.id, role: 'authenticated', app_metadata: { organization_id: ctx.user.organizationId } },
    '2s'
  )
  const stream = await openStream(url, token)
  t.teardown(() => stream.close())
  t.equal(stream.status, 200)
  const before = await storeSignal(ctx, { user_id: ctx.user.id })
  await stream.waitFor(event => event.data.id === before)
  const ended = await Promise.race([
    stream.ended.then(() => true),
    new Promise<boolean>(resolve => setTimeout(() => resolve(false), 10_000))
  ])
  t.ok(ended, 'the service ended the stream when the token expired')
  const after = await storeSignal(ctx, { user_id: ctx.user.id })
  // The admin's stream proves the change was published; the expired one heard nothing of it.
  const admin = await openStream(url, ctx.admin.token, stream.events.at(-1)?.id)
  t.teardown(() => admin.close())
  await admin.waitFor(event => event.data.id === after)
  t.notOk(
    stream.events.some(event => event.data.id === after),
    'no change is named to an expired token'
  )
  const again = await fetch(`${url}/v1/stream`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(again.status, 401, 'reconnecting with the expired token is refused')
})

// Timers that keep the process alive (process.getActiveResourcesInfo lists only those).
const liveTimers = () => process.getActiveResourcesInfo().filter(resource => resource === 'Timeout').length

t.test('a stream the instance ends while it opens leaves no timer behind to hold the process open', async t => {
  const ctx = await buildTestApp(t)
  const { app, url } = await listening(t, ctx)
  const before = liveTimers()
  // The drain as it happens at shutdown, landing while the stream waits for the instance's LISTEN.
  const open = app.stream.open.bind(app.stream)
  let closed: Promise<void> | undefined
  app.stream.open = async (...args) => {
    const opening = open(...args)
    closed = app.close()
    return await opening
  }
  const stream = await openStream(url, ctx.user.token)
  t.equal(stream.status, 200)
  await stream.ended
  t.pass('the stream ended')
  await closed
  // Other timers come and go (the test's own database pool); the stream's would stay.
  for (let tries = 0; liveTimers() > before && tries < 40; tries++)
    await new Promise(resolve => setTimeout(resolve, 50))
  t.ok(liveTimers() <= before, 'no heartbeat or token-expiry timer outlives it')
})

t.test('once its streams are ended for the drain, a new one is refused with 503 SERVICE_DRAINING', async t => {
  const ctx = await buildTestApp(t)
  const { app, url } = await listening(t, ctx)
  const first = await openStream(url, ctx.user.token)
  t.equal(first.status, 200)
  await app.stream.close()
  await first.ended
  const refused = await fetch(`${url}/v1/stream`, { headers: ctx.user.headers })
  t.equal(refused.status, 503)
  t.match(await refused.json(), { code: 'SERVICE_DRAINING' })
})
