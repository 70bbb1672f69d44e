// /v1/health/*: the helper-function reports on known events, under RLS.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'

t.test('summary, unhealthy, trends and availability over known events', async t => {
  const ctx = await buildTestApp(t)
  const events = [
    {
      component_type: 'edge_function',
      component_name: 'api',
      status: 'healthy',
      latency_ms: 100,
      error_rate: 1,
      user_id: ctx.user.id
    },
    {
      component_type: 'edge_function',
      component_name: 'api',
      status: 'healthy',
      latency_ms: 300,
      error_rate: 3,
      user_id: ctx.user.id
    },
    {
      component_type: 'database',
      component_name: 'db',
      status: 'critical',
      latency_ms: 900,
      error_rate: 40,
      last_error_message: 'too many connections',
      user_id: ctx.otherUser.id
    }
  ]
  const stored = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: { events }
  })
  t.equal(stored.statusCode, 201)

  const summary = (await ctx.app.inject({ url: '/v1/health/summary', headers: ctx.admin.headers })).json()
  t.equal(summary.length, 2)
  t.match(summary[0], { component_name: 'db', status: 'critical', event_count: 1 }, 'worst first')
  t.match(
    summary.find((row: { component_name: string }) => row.component_name === 'api'),
    { status: 'healthy', event_count: 2, avg_latency_ms: 200, avg_error_rate: 2 }
  )

  const mine = (await ctx.app.inject({ url: '/v1/health/summary', headers: ctx.user.headers })).json()
  t.same(
    mine.map((row: { component_name: string }) => row.component_name),
    ['api'],
    'a user summarises only their own events'
  )

  const unhealthy = (await ctx.app.inject({ url: '/v1/health/unhealthy', headers: ctx.admin.headers })).json()
  t.match(unhealthy, [{ component_name: 'db', status: 'critical', last_error_message: 'too many connections' }])
  t.equal(unhealthy.length, 1)

  const trends = await ctx.app.inject({
    url: '/v1/health/trends?component_name=api&bucket=5%20minutes',
    headers: ctx.admin.headers
  })
  t.equal(trends.statusCode, 200)
  t.match(trends.json(), [{ component_name: 'api', event_count: 2, avg_latency_ms: 200 }])
  t.equal(
    (await ctx.app.inject({ url: '/v1/health/trends?bucket=forever', headers: ctx.admin.headers })).statusCode,
    400
  )

  const availability = (
    await ctx.app.inject({ url: '/v1/health/availability?target_percentage=99', headers: ctx.admin.headers })
  ).json()
  t.match(availability, {
    availability_percentage: 50,
    target_percentage: 99,
    meets_target: false,
    component_count: 2,
    event_count: 3,
    healthy_count: 2,
    critical_count: 1
  })
  t.equal((await ctx.app.inject({ url: '/v1/health/summary' })).statusCode, 401)
})
