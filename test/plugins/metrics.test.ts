// /metrics speaks Prometheus text: requests per route with latency, the pool, process metrics;
// in a worker of several, what the primary gathered from all of them.
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

// With several workers the whole service's metrics come from the primary; when that gathering
// fails the scrape fails too, rather than pass one worker's counters off as the service's.
t.test("a worker's scrape serves what the primary gathered, and a failed gathering is a 503", async t => {
  let answer: () => Promise<string> = async () => '# gathered from every worker\n'
  const ctx = await buildTestApp(t, {}, { serviceMetrics: async () => await answer() })
  const gathered = await ctx.app.inject('/metrics')
  t.equal(gathered.statusCode, 200)
  t.equal(gathered.body, '# gathered from every worker\n')
  answer = async () => {
    throw new Error('a worker did not answer')
  }
  const failed = await ctx.app.inject('/metrics')
  t.equal(failed.statusCode, 503)
  t.equal(failed.json().code, 'METRICS_UNAVAILABLE')
  t.equal(failed.headers['content-type'], 'application/problem+json; charset=utf-8', 'a problem like every refusal')
  t.equal(failed.headers['retry-after'], '1')
  t.notMatch(failed.body, /a worker did not answer/, 'the cause stays in the log')
})
