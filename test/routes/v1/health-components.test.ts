// GET /v1/health/components: the console's component list, filtered and paged in SQL, under
// row-level security like the summary it pages.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'

t.test('pages, searches and filters the components each caller may see', async t => {
  const ctx = await buildTestApp(t)
  const event = (name: string, status: string, userId: string) => ({
    component_type: 'edge_function',
    component_name: name,
    status,
    latency_ms: 100,
    user_id: userId
  })
  const events = [
    ...Array.from({ length: 12 }, (_, i) =>
      event(`checkout-${String(i).padStart(2, '0')}`, i < 3 ? 'critical' : 'healthy', ctx.user.id)
    ),
    event('Billing-API', 'degraded', ctx.user.id),
    event('checkout-secret', 'critical', ctx.otherUser.id)
  ]
  const stored = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: { events }
  })
  t.equal(stored.statusCode, 201)
  const get = async (query: string, headers = ctx.user.headers) => {
    const res = await ctx.app.inject({ url: `/v1/health/components?${query}`, headers })
    return { status: res.statusCode, body: res.json() }
  }

  const first = await get('limit=5')
  t.equal(first.status, 200)
  t.equal(first.body.total, 13, "the member's 13 components, not the other member's")
  t.equal(first.body.items.length, 5)
  t.same(
    first.body.items.slice(0, 3).map((row: { status: string }) => row.status),
    ['critical', 'critical', 'critical'],
    'worst first'
  )
  const rest = await get('limit=5&offset=10')
  t.equal(rest.body.items.length, 3, 'the last page holds the remainder')
  const pages = [...first.body.items, ...(await get('limit=5&offset=5')).body.items, ...rest.body.items].map(
    (row: { component_name: string }) => row.component_name
  )
  t.equal(new Set(pages).size, 13, 'pages neither repeat nor skip')

  t.same(
    (await get('search=billing')).body.items.map((row: { component_name: string }) => row.component_name),
    ['Billing-API']
  )
  const critical = await get('status=critical&search=CHECKOUT')
  t.equal(critical.body.total, 3)
  t.notOk(
    critical.body.items.some((row: { component_name: string }) => row.component_name === 'checkout-secret'),
    "no member sees another member's component"
  )
  t.equal((await get('search=checkout-secret', ctx.admin.headers)).body.total, 1, 'an admin sees it')

  const bad = await get('status=on_fire&limit=0')
  t.equal(bad.status, 400)
  t.same(bad.body.errors.map((e: { path: string }) => e.path).sort(), ['/querystring/limit', '/querystring/status'])
  t.equal((await ctx.app.inject({ url: '/v1/health/components' })).statusCode, 401)
})

t.test("trend_bucket adds each row's trend, for the page's rows only, every slot present", async t => {
  const ctx = await buildTestApp(t)
  // Three whole hours that ended at the last full hour: slots start at since, +1 h, +2 h and until.
  const until = Math.floor(Date.now() / 3_600_000) * 3_600_000
  const start = until - 3 * 3_600_000
  const at = (minutesIn: number) => new Date(start + minutesIn * 60_000).toISOString()
  const event = (name: string, minutesIn: number, latencyP95: number, userId = ctx.user.id) => ({
    component_type: 'edge_function',
    component_name: name,
    status: 'healthy',
    latency_p95_ms: latencyP95,
    error_rate: 1,
    cpu_usage_percent: 30,
    measurement_window_end: at(minutesIn),
    user_id: userId
  })
  const stored = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: {
      events: [
        event('api', 5, 100),
        event('api', 10, 300),
        event('api', 150, 900),
        event('web', 60, 50),
        event('worker', 120, 70),
        event('api', 170, 5000, ctx.otherUser.id)
      ]
    }
  })
  t.equal(stored.statusCode, 201)
  const get = async (query: string) =>
    await ctx.app.inject({ url: `/v1/health/components?${query}`, headers: ctx.user.headers })
  const period = `since=${encodeURIComponent(at(0))}&until=${encodeURIComponent(at(180))}`

  const plain = (await get(`${period}`)).json()
  t.notOk('trend' in plain.items[0], 'no trend unless asked')

  const res = await get(`${period}&limit=2&trend_bucket=1%20hour`)
  t.equal(res.statusCode, 200, res.body)
  const body = res.json()
  t.same(
    body.items.map((row: { component_name: string }) => row.component_name),
    ['api', 'web'],
    'one page of two rows'
  )
  const [api, web] = body.items
  t.equal(api.trend.bucket, '1 hour')
  t.equal(Date.parse(api.trend.bucket_start), start, 'the first slot holds since')
  t.same(
    api.trend.latency_p95_ms,
    [200, null, 900, null],
    "the first hour's two events averaged, empty slots null, not the other member's 5000 ms"
  )
  t.same(web.trend.latency_p95_ms, [null, 50, null, null], 'every row has the same slots')
  t.same(api.trend.error_rate, [1, null, 1, null])
  t.same(api.trend.memory_usage_percent, [null, null, null, null], 'a metric never reported')

  const tooMany = await get(
    `since=${encodeURIComponent(at(-60))}&until=${encodeURIComponent(at(180))}&trend_bucket=1%20minute`
  )
  t.equal(tooMany.statusCode, 400)
  t.same(
    tooMany.json().errors.map((e: { path: string }) => e.path),
    ['/querystring/trend_bucket'],
    'more than 200 slots is refused, naming the field'
  )
  t.equal((await get('trend_bucket=forever')).statusCode, 400)
})

t.test("an admin sees each organization's component of a name as its own, and lists one organization's", async t => {
  const ctx = await buildTestApp(t)
  const [mine, theirs] = [ctx.user.organizationId, randomUUID()]
  const event = (organizationId: string | null, status: string, latency: number) => ({
    component_type: 'edge_function',
    component_name: 'checkout-api',
    status,
    latency_ms: latency,
    organization_id: organizationId
  })
  const stored = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: { events: [event(mine, 'critical', 900), event(mine, 'critical', 700), event(theirs, 'healthy', 100)] }
  })
  t.equal(stored.statusCode, 201, stored.body)

  const page = await ctx.app.inject({
    url: '/v1/health/components?trend_bucket=1%20hour&component_type=edge_function',
    headers: ctx.admin.headers
  })
  t.equal(page.statusCode, 200, page.body)
  const rows = page.json().items as Array<{
    organization_id: string
    status: string
    event_count: number
    avg_latency_ms: number
    trend: { latency_p95_ms: unknown[] }
  }>
  t.same(
    rows.map(row => [row.organization_id, row.status, row.event_count, row.avg_latency_ms]),
    [
      [mine, 'critical', 2, 800],
      [theirs, 'healthy', 1, 100]
    ],
    'two components, not one adding up both'
  )
  for (const path of ['/v1/health/summary', '/v1/health/unhealthy']) {
    const res = await ctx.app.inject({ url: path, headers: ctx.admin.headers })
    t.ok(
      (res.json() as Array<{ organization_id: string }>).every(row => [mine, theirs].includes(row.organization_id)),
      `${path} names each row's organization`
    )
  }

  const events = await ctx.app.inject({
    url: `/v1/health-events?component_name=checkout-api&organization_id=${theirs}`,
    headers: ctx.admin.headers
  })
  t.same(
    events.json().items.map((row: { organization_id: string }) => row.organization_id),
    [theirs],
    "the events of one organization's component"
  )

  const platform = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events',
    headers: ctx.service.headers,
    payload: { ...event(null, 'healthy', 50), component_type: 'database' }
  })
  t.equal(platform.statusCode, 201, platform.body)
  const platformEvents = await ctx.app.inject({
    url: '/v1/health-events?component_name=checkout-api&organization_id=platform',
    headers: ctx.admin.headers
  })
  t.same(
    platformEvents.json().items.map((row: { organization_id: string | null }) => row.organization_id),
    [null],
    "`platform` lists the platform's own only"
  )
  for (const path of ['/v1/anomalies', '/v1/recovery-actions'])
    t.equal(
      (await ctx.app.inject({ url: `${path}?organization_id=platform`, headers: ctx.admin.headers })).statusCode,
      200,
      `${path} takes platform`
    )
})
