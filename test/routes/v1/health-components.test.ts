// GET /v1/health/components: the console's component list, filtered and paged in SQL, under
// row-level security like the summary it pages.
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
