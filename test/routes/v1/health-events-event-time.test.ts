// Event time at the API: an event's time is its measurement_window_end, else its arrival, on
// every insert path; late and future events are accepted within the configured bounds and
// refused outside them with 400 naming the field and the bound, nothing stored; the list and
// the trends read event time.
import t from 'tap'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

function event(measuredAt: number | undefined, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    component_type: 'edge_function',
    component_name: 'orchestrate-flow',
    status: 'healthy',
    latency_ms: 120,
    ...(measuredAt === undefined ? {} : { measurement_window_end: new Date(measuredAt).toISOString() }),
    ...overrides
  }
}

async function post(ctx: TestApp, url: string, payload: unknown, headers: Record<string, string> = {}) {
  return await ctx.app.inject({
    method: 'POST',
    url,
    headers: { ...ctx.service.headers, ...headers },
    payload: payload as Record<string, unknown>
  })
}

t.test('the event time is measurement_window_end, else the arrival, on the single, keyed and batch paths', async t => {
  const ctx = await buildTestApp(t)
  const measured = Date.now() - 3 * HOUR
  const single = await post(ctx, '/v1/health-events', event(measured))
  t.equal(single.statusCode, 201)
  t.equal(
    single.json().event_time,
    new Date(measured).toISOString(),
    'one statement (insert_health_event_as): its measurement'
  )
  const keyed = await post(ctx, '/v1/health-events', event(measured - MINUTE), { 'idempotency-key': 'late-one' })
  t.equal(keyed.json().event_time, new Date(measured - MINUTE).toISOString(), 'the keyed transaction: its measurement')
  const arrived = (await post(ctx, '/v1/health-events', event(undefined))).json()
  t.equal(arrived.event_time, arrived.created_at, 'no window: the arrival')

  const batch = await post(ctx, '/v1/health-events/batch', { events: [event(measured - 2 * MINUTE), event(undefined)] })
  t.equal(batch.statusCode, 201)
  const sql = ownerSql(t, ctx.databaseUrl)
  const rows = await sql<
    Array<{ event_time: Date; created_at: Date }>
  >`select event_time, created_at from system_health_events where id = any(${batch.json().ids}::uuid[]) order by event_time`
  t.same(
    rows.map(row => row.event_time.getTime()),
    [measured - 2 * MINUTE, rows[1]!.created_at.getTime()],
    'the batch: each its own'
  )
})

t.test(
  'events within the bounds are accepted; beyond them a 400 names the field and the bound, and nothing is stored',
  async t => {
    const ctx = await buildTestApp(t)
    const sql = ownerSql(t, ctx.databaseUrl)
    const now = Date.now()
    t.equal(
      (await post(ctx, '/v1/health-events', event(now - 6 * DAY))).statusCode,
      201,
      'six days late is within the default 7 days'
    )
    t.equal(
      (await post(ctx, '/v1/health-events', event(now + 2 * MINUTE))).statusCode,
      201,
      'two minutes ahead is within the default 5 minutes of skew'
    )
    const stored = async () =>
      (await sql<Array<{ n: number }>>`select count(*)::int as n from system_health_events`)[0]?.n

    const before = await stored()
    const old = await post(ctx, '/v1/health-events', event(now - 8 * DAY))
    t.equal(old.statusCode, 400)
    t.equal(old.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(old.json().errors, [
      { path: '/body/measurement_window_end', message: /more than 7 days before arrival.*EVENT_MAX_LATENESS_MINUTES/ }
    ])
    const ahead = await post(ctx, '/v1/health-events', event(now + 10 * MINUTE), { 'idempotency-key': 'ahead' })
    t.equal(ahead.statusCode, 400)
    t.match(ahead.json().errors, [
      {
        path: '/body/measurement_window_end',
        message: /more than 5 minutes after arrival.*EVENT_MAX_FUTURE_SKEW_SECONDS/
      }
    ])

    const events = [event(now - HOUR), event(now - 2 * HOUR), event(now), event(now - 30 * DAY)]
    const batch = await post(ctx, '/v1/health-events/batch', { events })
    t.equal(batch.statusCode, 400)
    t.match(batch.json().errors, [{ path: '/body/events/3/measurement_window_end', message: /7 days/ }])
    const { status: _status, ...metric } = event(now + HOUR)
    const monitor = await post(ctx, '/v1/monitor/run', { metrics: [metric] })
    t.equal(monitor.statusCode, 400)
    t.match(monitor.json().errors, [
      { path: '/body/metrics/0/measurement_window_end', message: /5 minutes after arrival/ }
    ])
    const inverted = { measurement_window_start: new Date(now).toISOString() }
    const single = await post(ctx, '/v1/health-events', event(now - HOUR, inverted))
    t.equal(single.statusCode, 400, 'a window ending before it starts')
    t.match(
      single.json(),
      {
        code: 'INVALID_FIELDS',
        errors: [{ path: '/body/measurement_window_end', message: /measurement_window_start/ }]
      },
      'names the field (it was DATA_RULE_BROKEN naming a constraint)'
    )
    const invertedBatch = await post(ctx, '/v1/health-events/batch', {
      events: [event(now - HOUR), event(now - HOUR, inverted)]
    })
    t.match(invertedBatch.json().errors, [{ path: '/body/events/1/measurement_window_end' }])
    t.equal(await stored(), before, 'nothing of the refused requests was stored')
  }
)

t.test('the bounds are configurable', async t => {
  const ctx = await buildTestApp(t, { eventTime: { maxLatenessMs: HOUR, maxFutureSkewMs: 0 } })
  const now = Date.now()
  t.equal((await post(ctx, '/v1/health-events', event(now - 30 * MINUTE))).statusCode, 201)
  const late = await post(ctx, '/v1/health-events', event(now - 2 * HOUR))
  t.equal(late.statusCode, 400)
  t.match(late.json().errors, [{ path: '/body/measurement_window_end', message: /more than 1 hour before arrival/ }])
  t.equal((await post(ctx, '/v1/health-events', event(now + MINUTE))).statusCode, 400, 'no skew allowed')
})

t.test('the list orders, filters and pages by event time, whatever the arrival order', async t => {
  const ctx = await buildTestApp(t)
  const base = Date.now() - 5 * HOUR
  // Arriving in the order 3, 0, 4, 1, 2: measured an hour apart.
  const order = [3, 0, 4, 1, 2]
  for (const hour of order) {
    t.equal((await post(ctx, '/v1/health-events', event(base + hour * HOUR, { latency_ms: hour }))).statusCode, 201)
  }
  const page = async (query: string) =>
    (await ctx.app.inject({ url: `/v1/health-events?${query}`, headers: ctx.admin.headers })).json()
  const all = await page('limit=10')
  t.same(
    all.items.map((row: { latency_ms: number }) => row.latency_ms),
    [4, 3, 2, 1, 0],
    'newest measurement first'
  )
  const window = await page(
    `since=${new Date(base + HOUR).toISOString()}&until=${new Date(base + 3 * HOUR).toISOString()}`
  )
  t.same(
    window.items.map((row: { latency_ms: number }) => row.latency_ms),
    [2, 1],
    'since/until on event time'
  )
  const first = await page('limit=2')
  const second = await page(`limit=2&cursor=${String(first.next_cursor)}`)
  t.same(
    [...first.items, ...second.items].map((row: { latency_ms: number }) => row.latency_ms),
    [4, 3, 2, 1],
    'the cursor continues by event time'
  )
})

t.test('trends and the summary put a backfilled event in the period it was measured in', async t => {
  const ctx = await buildTestApp(t)
  const hourAgo = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR
  await post(ctx, '/v1/health-events/batch', {
    events: [
      event(hourAgo + 10 * MINUTE, { latency_ms: 100 }),
      event(hourAgo + 20 * MINUTE, { latency_ms: 300 }),
      event(undefined, { latency_ms: 900 })
    ]
  })
  const since = new Date(hourAgo - HOUR).toISOString()
  const trends = (
    await ctx.app.inject({
      url: `/v1/health/trends?component_name=orchestrate-flow&bucket=1%20hour&since=${since}`,
      headers: ctx.admin.headers
    })
  ).json()
  t.match(
    trends[0],
    { bucket_start: new Date(hourAgo).toISOString(), event_count: 2, avg_latency_ms: 200 },
    'the imported hour holds the imported events'
  )
  t.equal(trends.length, 2, 'and the event measured now its own hour')
  const summary = (
    await ctx.app.inject({
      url: `/v1/health/summary?since=${since}&until=${new Date(hourAgo + HOUR).toISOString()}`,
      headers: ctx.admin.headers
    })
  ).json()
  t.match(summary, [
    { component_name: 'orchestrate-flow', event_count: 2, last_event_at: new Date(hourAgo + 20 * MINUTE).toISOString() }
  ])
})
