// control_targets: every registered webhook, Redis and database answers without being acted
// on; an unreachable one fails the test. Nothing is skipped silently: no targets is a skip.
import t from 'tap'
import { buildTestApp, testConfig } from '../../helpers/app.js'
import { freshDatabase } from '../../helpers/database.js'
import { closedPort, startControlEndpoint } from '../../helpers/control-endpoint.js'
import { named, runTest } from '../../helpers/selftests.js'

const SECRET = 'whsec_YS13ZWJob29rLXNlY3JldC1vZi1lbm91Z2gtbGVuZ3Ro'

t.test('no registered target is a skipped run', async t => {
  const ctx = await buildTestApp(t)
  t.match(await runTest(ctx, 'control_targets'), {
    test_result: 'skipped',
    execution_status: 'skipped',
    success: null,
    skip_count: 1,
    health_score: null
  })
})

t.test('reachable targets pass without any action being sent; an unreachable one fails', async t => {
  const ctx = await buildTestApp(t)
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  const register = async (name: string, body: Record<string, unknown>): Promise<void> => {
    const res = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/components/${name}`,
      headers: ctx.admin.headers,
      payload: { component_type: 'edge_function', ...body }
    })
    t.equal(res.statusCode, 200, res.body)
  }
  await register('checkout', { webhook_url: endpoint.url, webhook_secret: SECRET })
  // Another database than the service's own, which a registration may not name.
  await register('reports-db', { database_url: (await freshDatabase(t)).url, application_name: 'reports' })

  const row = await runTest(ctx, 'control_targets')
  t.match(row, { test_result: 'passed', pass_count: 2 })
  const org = ctx.admin.organizationId
  t.same(named(row, 'assertions_passed').sort(), [
    `${org}/checkout_webhook_reachable`,
    `${org}/reports-db_database_reachable`
  ])
  t.same(
    endpoint.requests.map(request => request.method),
    ['HEAD'],
    'only a HEAD reached the webhook'
  )
  t.same(endpoint.effects, [], 'no action was carried out')

  await register('search', { webhook_url: `http://127.0.0.1:${await closedPort()}/control`, webhook_secret: SECRET })
  const broken = await runTest(ctx, 'control_targets')
  t.match(broken, { test_result: 'failed', severity: 'high' })
  t.same(named(broken, 'assertions_failed'), [`${org}/search_webhook_reachable`])
  t.match(broken.failure_reason, `the webhook of ${org}/search is unreachable`)
})

t.test('a probe respects the target policy and its failure shows no password, address or port', async t => {
  const ctx = await buildTestApp(t, { healing: { ...testConfig().healing, allowedTargets: [] } })
  const port = await closedPort()
  const res = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/cache',
    headers: ctx.admin.headers,
    payload: { component_type: 'cache', redis_url: `redis://:hunter2pw@localhost:${port}/0`, key_prefix: 'cache:' }
  })
  t.equal(res.statusCode, 200, res.body)
  const named = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/inward',
    headers: ctx.admin.headers,
    payload: {
      component_type: 'edge_function',
      webhook_url: `http://localhost:${port}/control`,
      webhook_secret: SECRET
    }
  })
  t.equal(named.statusCode, 200, named.body)

  const row = await runTest(ctx, 'control_targets')
  t.match(row, { test_result: 'failed' })
  const text = JSON.stringify(row)
  t.notMatch(text, /hunter2pw/)
  t.notMatch(text, new RegExp(`:${port}\\b`))
  t.match(text, /the webhook of [\w-]+\/inward was not contacted: the host resolves to a loopback address/)
  t.match(text, /the Redis of [\w-]+\/cache was not contacted/)
})
