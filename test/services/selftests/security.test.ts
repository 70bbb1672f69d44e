// rls_isolation: passes with the migrations' policies, leaves no rows behind, and fails when a
// policy is dropped or loosened (changed in this test's own database).
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { named, runTest } from '../../helpers/selftests.js'

const count = async (sql: ReturnType<typeof ownerSql>): Promise<number> => {
  const [row] = await sql<
    { n: number }[]
  >`select (select count(*) from selftest_results where test_name = 'rls_isolation_canary') + (select count(*) from anomaly_signals where anomaly_type = 'rls_isolation_canary') as n`
  return Number(row?.n)
}

t.test('rls_isolation passes with the policies in place and leaves nothing behind', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const row = await runTest(ctx, 'rls_isolation')
  t.match(row, { test_result: 'passed', test_category: 'security', fail_count: 0, security_score: 100 })
  t.ok(named(row, 'assertions_passed').includes('anomaly_signals_first_user_sees_no_other_row'))
  t.ok(named(row, 'assertions_passed').includes('canary_rows_rolled_back'))
  t.equal(row.pass_count, 13)
  t.equal(await count(sql), 0, 'no canary row survives')
})

t.test("rls_isolation fails when a user's own-row policy is dropped", async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await sql`drop policy "users read own rows" on anomaly_signals`
  const row = await runTest(ctx, 'rls_isolation')
  t.match(row, { test_result: 'failed', success: false, severity: 'critical', action_required: true })
  t.same(named(row, 'assertions_failed').sort(), [
    'anomaly_signals_first_user_sees_own_row',
    'anomaly_signals_second_user_sees_own_row'
  ])
  t.ok((row.security_score ?? 100) < 100)
  t.equal(await count(sql), 0)
  const [signal] = await sql`select anomaly_type, source_component_name, severity from anomaly_signals`
  t.match(signal, {
    anomaly_type: 'selftest_failure',
    source_component_name: 'selftest:rls_isolation',
    severity: 'critical'
  })
})

t.test('rls_isolation fails when a policy lets users read every row', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await sql`create policy "too open" on selftest_results for select to authenticated using (true)`
  const row = await runTest(ctx, 'rls_isolation')
  t.equal(row.test_result, 'failed')
  t.same(named(row, 'assertions_failed').sort(), [
    'selftest_results_first_user_sees_no_other_row',
    'selftest_results_second_user_sees_no_other_row'
  ])
})
