// /v1/selftests: storing results, reads under RLS, the helper-function reports, baseline
// comparison, and the admin's deletion of old results.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

function result(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    test_name: 'database_connectivity',
    test_category: 'database',
    test_result: 'passed',
    success: true,
    execution_duration_ms: 100,
    response_time_ms: 3,
    pass_count: 2,
    total_assertions: 2,
    ...overrides
  }
}

async function store(ctx: TestApp, payload: Record<string, unknown>) {
  const res = await ctx.app.inject({ method: 'POST', url: '/v1/selftests', headers: ctx.service.headers, payload })
  if (res.statusCode !== 201) throw new Error(`store failed: ${res.body}`)
  return res.json()
}

t.test('the service role stores a full result; others may not; bad fields are named', async t => {
  const ctx = await buildTestApp(t)
  const row = await store(
    ctx,
    result({ assertions_passed: [{ name: 'select 1' }], health_score: 97.5, recommendations: ['none'] })
  )
  t.match(row, {
    execution_mode: 'manual',
    execution_status: 'completed',
    test_result: 'passed',
    pass_count: 2,
    fail_count: 0,
    health_score: 97.5,
    assertions_passed: [{ name: 'select 1' }],
    regression_detected: false
  })
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/v1/selftests', headers: ctx.admin.headers, payload: result() }))
      .statusCode,
    403
  )
  const bad = await ctx.app.inject({
    method: 'POST',
    url: '/v1/selftests',
    headers: ctx.service.headers,
    payload: result({ health_score: 130, test_result: 'great' })
  })
  t.same(
    bad
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort(),
    ['/body/health_score', '/body/test_result']
  )
})

t.test('reads, filters, latest, statistics and trends', async t => {
  const ctx = await buildTestApp(t)
  await store(ctx, result({ user_id: ctx.user.id }))
  await store(ctx, result({ execution_duration_ms: 300 }))
  const failed = await store(
    ctx,
    result({
      test_name: 'rls_canary',
      test_category: 'security',
      test_result: 'failed',
      success: false,
      regression_detected: true
    })
  )

  t.equal(
    (await ctx.app.inject({ url: '/v1/selftests', headers: ctx.user.headers })).json().items.length,
    1,
    'a user sees own results'
  )
  t.equal((await ctx.app.inject({ url: `/v1/selftests/${failed.id}`, headers: ctx.user.headers })).statusCode, 404)
  t.same(
    (await ctx.app.inject({ url: '/v1/selftests?regression_detected=true', headers: ctx.admin.headers }))
      .json()
      .items.map((r: { id: string }) => r.id),
    [failed.id]
  )

  const latest = (await ctx.app.inject({ url: '/v1/selftests/latest', headers: ctx.admin.headers })).json()
  t.same(latest.map((r: { test_name: string }) => r.test_name).sort(), ['database_connectivity', 'rls_canary'])
  t.equal(
    latest.find((r: { test_name: string }) => r.test_name === 'database_connectivity').execution_duration_ms,
    300,
    'the newest run'
  )

  const stats = (await ctx.app.inject({ url: '/v1/selftests/statistics', headers: ctx.admin.headers })).json()
  t.match(
    stats.find((r: { test_name: string }) => r.test_name === 'database_connectivity'),
    { run_count: 2, passed_count: 2, pass_rate: 100, avg_execution_duration_ms: 200 }
  )
  t.match(
    stats.find((r: { test_name: string }) => r.test_name === 'rls_canary'),
    { run_count: 1, failed_count: 1, regression_count: 1 }
  )

  const trends = (
    await ctx.app.inject({
      url: '/v1/selftests/trends?test_name=database_connectivity&bucket=1%20hour',
      headers: ctx.admin.headers
    })
  ).json()
  t.match(trends, [{ test_name: 'database_connectivity', run_count: 2 }])
})

t.test('baseline comparison flags a slower run as a regression', async t => {
  const ctx = await buildTestApp(t)
  for (const duration of [100, 110, 90]) await store(ctx, result({ execution_duration_ms: duration }))
  const slow = await store(ctx, result({ execution_duration_ms: 250 }))
  const comparison = await ctx.app.inject({
    url: `/v1/selftests/${slow.id}/baseline-comparison`,
    headers: ctx.admin.headers
  })
  t.equal(comparison.statusCode, 200)
  t.match(comparison.json(), {
    test_id: slow.id,
    baseline_execution_duration_ms: 100,
    baseline_deviation_percentage: 150,
    regression_detected: true,
    improvement_detected: false
  })
  t.equal(
    (await ctx.app.inject({ url: `/v1/selftests/${randomUUID()}/baseline-comparison`, headers: ctx.admin.headers }))
      .statusCode,
    404
  )
})

t.test('admins delete results older than a time; others may not', async t => {
  const ctx = await buildTestApp(t)
  const old = await store(ctx, result())
  const recent = await store(ctx, result())
  const sql = ownerSql(t, ctx.databaseUrl)
  await sql`update selftest_results set created_at = now() - interval '40 days' where id = ${old.id}`
  const cutoff = new Date(Date.now() - 30 * 86_400_000).toISOString()
  t.equal(
    (await ctx.app.inject({ method: 'DELETE', url: `/v1/selftests?older_than=${cutoff}`, headers: ctx.user.headers }))
      .statusCode,
    403
  )
  t.equal(
    (await ctx.app.inject({ method: 'DELETE', url: '/v1/selftests', headers: ctx.admin.headers })).statusCode,
    400,
    'older_than is required'
  )
  const deleted = await ctx.app.inject({
    method: 'DELETE',
    url: `/v1/selftests?older_than=${cutoff}`,
    headers: ctx.admin.headers
  })
  t.same(deleted.json(), { deleted: 1 })
  t.same(
    (await sql`select id from selftest_results`).map(r => r.id),
    [recent.id]
  )
})
