// POST /v1/selftests/run and GET /v1/selftests/catalog: who may run, the results returned and
// stored, unknown test names refused with the field named, and the catalogue's schedules and
// latest results.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

t.test('service and admin run tests now; users may not; unknown names are a 400 naming the field', async t => {
  const ctx = await buildTestApp(t)
  const run = async (headers: Record<string, string>, payload?: Record<string, unknown>) =>
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/selftests/run',
      headers,
      ...(payload === undefined ? {} : { payload })
    })

  t.equal((await run({})).statusCode, 401)
  t.equal((await run(ctx.user.headers, { test_names: ['database_connectivity'] })).statusCode, 403)

  const bad = await run(ctx.service.headers, { test_names: ['database_connectivity', 'no_such_test'] })
  t.equal(bad.statusCode, 400)
  t.same(
    bad.json().errors.map((error: { path: string }) => error.path),
    ['/body/test_names/1']
  )

  const byAdmin = await run(ctx.admin.headers, { test_names: ['database_connectivity', 'rls_isolation'] })
  t.equal(byAdmin.statusCode, 200, byAdmin.body)
  const { results } = byAdmin.json()
  t.same(
    results.map((row: { test_name: string }) => row.test_name),
    ['database_connectivity', 'rls_isolation']
  )
  t.match(results[0], {
    execution_mode: 'manual',
    scheduled_by: `admin:${ctx.admin.id}`,
    triggered_by_user_id: ctx.admin.id,
    trigger_reason: `POST /v1/selftests/run by admin:${ctx.admin.id}`,
    test_result: 'passed'
  })

  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(
    (await sql`select id from selftest_results order by created_at`).map(row => row.id),
    results.map((row: { id: string }) => row.id),
    'stored as returned'
  )
})

t.test('a bare POST runs every registered test, each with a result', async t => {
  const ctx = await buildTestApp(t)
  const res = await ctx.app.inject({ method: 'POST', url: '/v1/selftests/run', headers: ctx.service.headers })
  t.equal(res.statusCode, 200, res.body)
  const results = res.json().results as Array<{ test_name: string; test_result: string; scheduled_by: string }>
  t.same(
    results.map(row => row.test_name),
    [
      'database_connectivity',
      'migrations_current',
      'rls_isolation',
      'detection_canary',
      'healing_dry_run',
      'llm_reachability',
      'control_targets',
      'api_availability',
      'job_freshness'
    ]
  )
  t.same(
    Object.fromEntries(results.map(row => [row.test_name, row.test_result])),
    {
      database_connectivity: 'passed',
      migrations_current: 'passed',
      rls_isolation: 'passed',
      detection_canary: 'passed',
      healing_dry_run: 'passed',
      llm_reachability: 'warning',
      control_targets: 'skipped',
      api_availability: 'passed',
      job_freshness: results.find(row => row.test_name === 'job_freshness')?.test_result
    },
    'a healthy service without a key or targets'
  )
  t.equal(results[0]?.scheduled_by, 'service')
})

t.test('the catalogue lists every test with its schedule and latest visible result', async t => {
  const ctx = await buildTestApp(t, {
    selftests: {
      ...(await import('../../helpers/app.js')).testConfig().selftests,
      schedules: { rls_isolation: '*/5 * * * *', llm_reachability: null }
    }
  })
  await ctx.app.inject({
    method: 'POST',
    url: '/v1/selftests/run',
    headers: ctx.service.headers,
    payload: { test_names: ['migrations_current'] }
  })

  t.equal((await ctx.app.inject({ url: '/v1/selftests/catalog' })).statusCode, 401)
  const catalog = (await ctx.app.inject({ url: '/v1/selftests/catalog', headers: ctx.admin.headers })).json()
  t.equal(catalog.length, 9)
  const entry = (name: string) => catalog.find((item: { test_name: string }) => item.test_name === name)
  t.match(entry('migrations_current'), {
    test_category: 'database',
    schedule: '*/15 * * * *',
    schedule_source: 'SELFTEST_CRON',
    job_name: 'selftest',
    timeout_seconds: 15,
    last_result: { test_name: 'migrations_current', test_result: 'passed' }
  })
  t.match(entry('rls_isolation'), {
    schedule: '*/5 * * * *',
    schedule_source: 'SELFTEST_SCHEDULES',
    job_name: 'selftest:rls_isolation',
    last_result: null
  })
  t.match(entry('llm_reachability'), { schedule: null, schedule_source: 'SELFTEST_SCHEDULES', job_name: null })
  t.match(entry('job_freshness'), {
    schedule: '*/5 * * * *',
    schedule_source: 'test_default',
    job_name: 'selftest:job_freshness'
  })

  const asUser = (await ctx.app.inject({ url: '/v1/selftests/catalog', headers: ctx.user.headers })).json()
  t.equal(
    asUser.find((item: { test_name: string }) => item.test_name === 'migrations_current').last_result,
    null,
    'a user sees no service-owned result'
  )
})
