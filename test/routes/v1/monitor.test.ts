// POST /v1/monitor/run: for the service role and admins (users 403, no token 401), validation
// naming the field, and a run's result as the contract describes it.
import t from 'tap'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { insertCalls } from '../../services/monitor/fixtures.js'

async function run(ctx: TestApp, headers: Record<string, string>, payload?: unknown) {
  return await ctx.app.inject({
    method: 'POST',
    url: '/v1/monitor/run',
    headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> })
  })
}

t.test('the service role runs the monitor and gets the overall status, the components and the events', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await insertCalls(sql, [
    { function_name: 'orchestrate-flow', duration_ms: 120, ago: 30 },
    { function_name: 'orchestrate-flow', duration_ms: 2400, ago: 20 }
  ])
  const res = await run(ctx, ctx.service.headers, {
    component_name: 'orchestrate-flow',
    metrics: [{ component_type: 'worker', component_name: 'report-builder', cpu_usage_percent: 96 }],
    thresholds: { latency_p95_ms: { degraded: 500 } }
  })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body, {
    run_id: String,
    overall_status: 'critical',
    window: { minutes: 5 },
    status_counts: { healthy: 0, degraded: 0, unhealthy: 1, critical: 1, unknown: 0 },
    events_created: 2,
    thresholds: { latency_p95_ms: { degraded: 500, unhealthy: 2000, critical: 5000 }, error_rate: { degraded: 1 } }
  })
  // p95 of 120 and 2400 ms is 2286: past the overridden 500 ms and the default 2000 ms.
  t.same(
    body.components.map((c: { component_name: string }) => c.component_name),
    ['orchestrate-flow', 'report-builder']
  )
  t.match(body.components[0], {
    component_type: 'edge_function',
    status: 'unhealthy',
    source: 'execution_log',
    calls: 2,
    latency_ms: 1260,
    latency_p95_ms: 2286,
    error_rate: 0,
    availability_percentage: 100,
    throughput_per_minute: 0.4,
    baseline_latency_p95_ms: null,
    event_id: String,
    reasons: ['latency_p95_ms 2286 >= 2000 (unhealthy)']
  })
  t.match(body.components[1], {
    component_type: 'worker',
    status: 'critical',
    source: 'manual',
    calls: null,
    reasons: ['cpu_usage_percent 96 >= 95 (critical)']
  })
  t.same(
    body.unhealthy_components.map((c: { component_name: string; status: string }) => [c.component_name, c.status]),
    [
      ['report-builder', 'critical'],
      ['orchestrate-flow', 'unhealthy']
    ]
  )
  t.same((await sql`select count(*)::int as n from system_health_events`)[0], { n: 2 })
  t.match(await sql`select actor from decision_audit_log`, [{ actor: 'service' }])
})

t.test('admins may run it (recorded as the admin), users may not, and a token is required', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const admin = await run(ctx, ctx.admin.headers)
  t.equal(admin.statusCode, 200, 'a bare POST runs with the defaults')
  t.equal(admin.json().window.minutes, 5)
  t.match(await sql`select actor from decision_audit_log`, [{ actor: `admin:${ctx.admin.id}` }])
  t.equal((await run(ctx, ctx.user.headers, {})).statusCode, 403)
  t.equal((await run(ctx, {}, {})).statusCode, 401)
  t.equal((await run(ctx, { authorization: 'Bearer not-a-token' }, {})).statusCode, 401)
  t.same((await sql`select count(*)::int as n from decision_audit_log`)[0], { n: 1 }, 'refused calls ran nothing')
})

t.test('bad input is a 400 naming the field, and nothing runs', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const cases: Array<[unknown, string]> = [
    [{ window_minutes: 0 }, '/body/window_minutes'],
    [{ window_minutes: 1441 }, '/body/window_minutes'],
    [{ window_minutes: '5' }, '/body/window_minutes'],
    [{ component_name: '' }, '/body/component_name'],
    [{ metrics: [{ component_type: 'worker', component_name: 'w', status: 'healthy' }] }, '/body/metrics/0/status'],
    [
      { metrics: [{ component_type: 'worker', component_name: 'w', cpu_usage_percent: 140 }] },
      '/body/metrics/0/cpu_usage_percent'
    ],
    [{ metrics: [{ component_type: 'worker' }] }, '/body/metrics/0/component_name'],
    [{ thresholds: { error_rate: { degraded: -1 } } }, '/body/thresholds/error_rate/degraded'],
    [{ thresholds: { latency: 5 } }, '/body/thresholds/latency'],
    [{ thresholds: { overall_worst_share: 2 } }, '/body/thresholds/overall_worst_share'],
    [{ surprise: true }, '/body/surprise']
  ]
  for (const [payload, path] of cases) {
    const res = await run(ctx, ctx.service.headers, payload)
    t.equal(res.statusCode, 400, path)
    t.ok(
      res.json().errors?.some((e: { path: string }) => e.path === path),
      `names ${path}: ${JSON.stringify(res.json().errors)}`
    )
  }
  t.same((await sql`select count(*)::int as n from decision_audit_log`)[0], { n: 0 })
})
