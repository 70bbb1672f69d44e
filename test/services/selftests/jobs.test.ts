// Scheduling: job_freshness passes when every scheduled job ticked on time and fails on a
// stalled one; the suite job and the per-test jobs run their tests once across two instances;
// an override naming no test fails at start; old results are deleted by the maintenance job.
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { ConfigError } from '../../../src/config.js'
import { selftestJobs } from '../../../src/jobs/selftests.js'
import { buildTestApp, testConfig } from '../../helpers/app.js'
import { freshDatabase, ownerSql } from '../../helpers/database.js'
import { named, runTest } from '../../helpers/selftests.js'

t.test('job_freshness passes when every job ticked in time and fails on a stalled one', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const jobs = ['monitor', 'detect', 'predict', 'heal', 'maintenance', 'selftest', 'selftest:job_freshness']
  for (const job of jobs) {
    await sql`insert into job_runs (job_name, last_tick, last_finished_at, last_outcome) values (${job}, now(), now(), 'succeeded')`
  }
  const row = await runTest(ctx, 'job_freshness')
  t.match(row, { test_result: 'passed', test_category: 'jobs', pass_count: jobs.length })

  await sql`update job_runs set last_tick = now() - interval '10 minutes' where job_name = 'detect'`
  await sql`update job_runs set last_outcome = 'failed', last_error = 'boom' where job_name = 'monitor'`
  const stalled = await runTest(ctx, 'job_freshness')
  t.match(stalled, {
    test_result: 'failed',
    severity: 'high',
    failure_reason: /detect_ticking: last tick .* is older than the tick due at/
  })
  t.same(named(stalled, 'assertions_failed'), ['detect_ticking'])
  t.same(named(stalled, 'assertions_warnings'), ['monitor_last_run_succeeded'])

  await sql`delete from job_runs where job_name = 'heal'`
  t.ok(
    named(await runTest(ctx, 'job_freshness'), 'assertions_failed').includes('heal_ticking'),
    'a job that never ticked is stalled too'
  )
  const fresh = await runTest(ctx, 'job_freshness', { processStartedAt: new Date() })
  t.notOk(
    named(fresh, 'assertions_failed').includes('heal_ticking'),
    'but not when no tick was due since the process started'
  )
})

t.test("the suite job and each override's own job; an unknown override fails at start", async t => {
  const config = testConfig({ databaseUrl: 'postgres://unused@127.0.0.1:1/unused' })
  const overridden = {
    ...config,
    selftests: { ...config.selftests, schedules: { rls_isolation: '*/5 * * * *', llm_reachability: null } }
  }
  const jobs = selftestJobs({ config: overridden, db: undefined as never })
  t.same(
    jobs.map(job => [job.name, job.schedule]),
    [
      ['selftest', '*/15 * * * *'],
      ['selftest:rls_isolation', '*/5 * * * *'],
      ['selftest:job_freshness', '*/5 * * * *']
    ]
  )
  const typo = { ...config, selftests: { ...config.selftests, schedules: { rls_isolaton: '*/5 * * * *' } } }
  t.throws(
    () => selftestJobs({ config: typo, db: undefined as never }),
    new ConfigError(
      'SELFTEST_SCHEDULES',
      'names no self-test: rls_isolaton (known: database_connectivity, migrations_current, rls_isolation, detection_canary, healing_dry_run, llm_reachability, control_targets, api_availability, job_freshness)'
    )
  )
})

t.test('a self-test tick runs on one of two instances, recorded as scheduled', async t => {
  const { url } = await freshDatabase(t)
  const config = testConfig({ databaseUrl: url })
  const scoped = { ...config, selftests: { ...config.selftests, schedules: { rls_isolation: '*/5 * * * *' } } }
  const a = await buildApp(scoped, { logger: false })
  const b = await buildApp(scoped, { logger: false })
  t.teardown(async () => {
    await a.close()
    await b.close()
  })
  const tick = new Date('2026-01-01T00:05:00Z')
  const outcomes = await Promise.all([
    a.scheduler.tick('selftest:rls_isolation', tick),
    b.scheduler.tick('selftest:rls_isolation', tick)
  ])
  t.same(outcomes.sort(), ['skipped_locked', 'succeeded'])
  const sql = ownerSql(t, url)
  const rows =
    await sql`select test_name, execution_mode, scheduled_by, trigger_reason, test_result from selftest_results`
  t.same(rows, [
    {
      test_name: 'rls_isolation',
      execution_mode: 'scheduled',
      scheduled_by: 'job:selftest:rls_isolation',
      trigger_reason: 'scheduled tick 2026-01-01T00:05:00.000Z',
      test_result: 'passed'
    }
  ])
})

t.test('the maintenance job deletes results older than SELFTEST_RETENTION_DAYS', async t => {
  const ctx = await buildTestApp(t)
  const config = { ...ctx.config, selftests: { ...ctx.config.selftests, retentionDays: 7 } }
  const app = await buildApp({ ...config, databaseUrl: ctx.databaseUrl }, { logger: false })
  t.teardown(() => app.close())
  const sql = ownerSql(t, ctx.databaseUrl)
  await sql`insert into selftest_results (test_name, test_category, created_at) values ('old', 'database', now() - interval '8 days'), ('recent', 'database', now() - interval '6 days')`
  t.equal(await app.scheduler.tick('maintenance'), 'succeeded')
  t.same(
    (await sql`select test_name from selftest_results`).map(row => row.test_name),
    ['recent']
  )
})
