// database_connectivity and migrations_current: pass on a healthy database, fail when it is
// unreachable or its schema does not match the migration files.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { closedPort } from '../../helpers/control-endpoint.js'
import { named, runTest } from '../../helpers/selftests.js'
import { createSql } from '../../../src/db/client.js'
import { executeTest } from '../../../src/services/selftests/runner.js'
import { databaseConnectivity } from '../../../src/services/selftests/tests/database-connectivity.js'
import { createDb } from '../../../src/db/port.js'

t.test('database_connectivity passes on a healthy database with latency measured', async t => {
  const ctx = await buildTestApp(t)
  const row = await runTest(ctx, 'database_connectivity')
  t.match(row, {
    test_result: 'passed',
    success: true,
    execution_status: 'completed',
    test_category: 'database',
    fail_count: 0
  })
  t.same(named(row, 'assertions_passed').sort(), [
    'caller_transaction',
    'clock_skew',
    'database_latency',
    'database_reachable'
  ])
  t.ok((row.response_time_ms ?? 0) > 0, 'response time from the probes')
  t.ok((row.throughput_per_second ?? 0) > 0)
})

t.test('database_connectivity fails when the database cannot be reached', async t => {
  const ctx = await buildTestApp(t)
  const url = new URL(ctx.databaseUrl)
  url.port = String(await closedPort())
  const sql = createSql(url.toString(), { max: 1 })
  t.teardown(async () => {
    await sql.end({ timeout: 1 })
  })
  const db = createDb(sql)
  const execution = await executeTest({ db, config: ctx.config }, databaseConnectivity)
  t.equal(execution.settled.kind, 'returned')
  t.match(execution.assertions, [{ name: 'database_reachable', status: 'fail', message: /select 1 failed/ }])
})

t.test('migrations_current passes when every file is applied and fails on a missing or changed one', async t => {
  const ctx = await buildTestApp(t)
  t.match(await runTest(ctx, 'migrations_current'), { test_result: 'passed', pass_count: 3 })

  const sql = ownerSql(t, ctx.databaseUrl)
  await sql`update schema_migrations set checksum = 'edited' where version = 5`
  await sql`delete from schema_migrations where version = 7`
  const broken = await runTest(ctx, 'migrations_current')
  t.match(broken, { test_result: 'failed', success: false, severity: 'critical', action_required: true })
  t.same(named(broken, 'assertions_failed').sort(), ['migration_checksums', 'migrations_applied'])
  t.match(broken.failure_reason, /0007_selftest_results\.sql/)
  t.match(broken.failure_reason, /0005_anomaly_signals\.sql/)
})
