// /metrics speaks Prometheus text: requests per route with latency, the pool, process metrics.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('metrics count requests per route and expose the pool and the process', async t => {
  const ctx = await buildTestApp(t)
  await ctx.app.inject({ url: '/v1/health-events', headers: ctx.admin.headers })
  await ctx.app.inject({ url: '/v1/health-events', headers: ctx.admin.headers })
  await ctx.app.inject({ url: '/v1/nothing-here' })
  const res = await ctx.app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  t.match(
    res.body,
    /http_request_duration_seconds_count\{method="GET",route="\/v1\/health-events",status_code="200"\} 2/
  )
  t.match(
    res.body,
    /http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v1\/health-events",status_code="200"\}/
  )
  t.match(
    res.body,
    /http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1/,
    'unknown paths share one series'
  )
  t.match(res.body, /db_pool_size 10/)
  t.match(res.body, /db_pool_in_use 0/)
  t.match(res.body, /process_cpu_user_seconds_total/)
  t.match(res.body, /nodejs_eventloop_lag_seconds/)
})
