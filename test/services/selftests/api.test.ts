// api_availability: /readyz and an authenticated route answer through the app; a request
// without a token is refused. It fails when the service is not ready.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { named, runTest } from '../../helpers/selftests.js'

t.test('api_availability passes when the app answers and fails when it is not ready', async t => {
  const ctx = await buildTestApp(t)
  const row = await runTest(ctx, 'api_availability')
  t.match(row, { test_result: 'passed', pass_count: 3, security_score: 100 })
  t.same(named(row, 'assertions_passed'), ['api_ready', 'api_refuses_anonymous', 'api_answers_authenticated'])

  const sql = ownerSql(t, ctx.databaseUrl)
  await sql`delete from schema_migrations where version = (select max(version) from schema_migrations)`
  const broken = await runTest(ctx, 'api_availability')
  t.match(broken, { test_result: 'failed', severity: 'high' })
  t.same(named(broken, 'assertions_failed'), ['api_ready'])
})

t.test('without a JWT secret the authenticated probe is skipped, not faked', async t => {
  const ctx = await buildTestApp(t)
  const row = await runTest({ ...ctx, config: { ...ctx.config, jwtSecret: undefined } }, 'api_availability')
  t.match(row, { test_result: 'passed', skip_count: 1, pass_count: 2 })
})

t.test('outside an app the test is skipped', async t => {
  const ctx = await buildTestApp(t)
  t.match(await runTest(ctx, 'api_availability', { inject: undefined }), { test_result: 'skipped' })
})
