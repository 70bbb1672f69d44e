// /v1/components and /v1/executors: registering control targets, secrets never returned.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

const registration = {
  component_type: 'edge_function',
  webhook_url: 'https://control.internal/orchestrate-flow',
  webhook_secret: 'a-long-random-shared-secret',
  redis_url: 'redis://cache-user:hunter2hunter2@127.0.0.1:6379/2',
  key_prefix: 'orchestrate:'
}

t.test('admins and services register a component; the secret is kept but never returned', async (t) => {
  const ctx = await buildTestApp(t)
  const put = await ctx.app.inject({ method: 'PUT', url: '/v1/components/orchestrate-flow', headers: ctx.admin.headers, payload: registration })
  t.equal(put.statusCode, 200)
  t.match(put.json(), { component_name: 'orchestrate-flow', webhook_url: registration.webhook_url, key_prefix: 'orchestrate:', redis_url: 'redis://cache-user:***@127.0.0.1:6379/2' })
  t.notMatch(put.body, /a-long-random-shared-secret|hunter2/)

  const got = await ctx.app.inject({ url: '/v1/components/orchestrate-flow', headers: ctx.user.headers })
  t.equal(got.statusCode, 200)
  t.notMatch(got.body, /a-long-random-shared-secret|hunter2/)
  t.equal((await ctx.app.inject({ url: '/v1/components', headers: ctx.user.headers })).json().length, 1)

  const again = await ctx.app.inject({ method: 'PUT', url: '/v1/components/orchestrate-flow', headers: ctx.service.headers, payload: { ...registration, webhook_secret: undefined, description: 'updated' } })
  t.equal(again.statusCode, 200)
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(await sql`select webhook_secret, description from components`, [{ webhook_secret: registration.webhook_secret, description: 'updated' }], 'a re-registration without the secret keeps it')

  t.equal((await ctx.app.inject({ method: 'PUT', url: '/v1/components/orchestrate-flow', headers: ctx.user.headers, payload: registration })).statusCode, 403)
  t.equal((await ctx.app.inject({ url: '/v1/components/unknown', headers: ctx.user.headers })).statusCode, 404)
})

t.test('incomplete targets are refused naming the rule or field', async (t) => {
  const ctx = await buildTestApp(t)
  const unsigned = await ctx.app.inject({ method: 'PUT', url: '/v1/components/a', headers: ctx.admin.headers, payload: { component_type: 'x', webhook_url: 'https://c.internal/a' } })
  t.equal(unsigned.statusCode, 400)
  t.match(unsigned.json().detail, /components_webhook_signed/)
  const shortSecret = await ctx.app.inject({ method: 'PUT', url: '/v1/components/a', headers: ctx.admin.headers, payload: { component_type: 'x', webhook_url: 'https://c.internal/a', webhook_secret: 'short' } })
  t.match(shortSecret.json().errors, [{ path: '/body/webhook_secret' }])
  const badName = await ctx.app.inject({ method: 'PUT', url: '/v1/components/has%20space', headers: ctx.admin.headers, payload: { component_type: 'x' } })
  t.match(badName.json().errors, [{ path: '/params/component_name' }])
})

t.test('the executor registry lists every action type with its parameters schema', async (t) => {
  const ctx = await buildTestApp(t)
  const res = await ctx.app.inject({ url: '/v1/executors', headers: ctx.user.headers })
  t.equal(res.statusCode, 200)
  const byType = new Map(res.json().map((e: { type: string }) => [e.type, e]))
  for (const type of ['restart_function', 'scale_up', 'scale_down', 'clear_cache', 'reset_connection', 'rollback_deployment']) t.ok(byType.has(type), type)
  t.match(byType.get('scale_up'), { risky: false, inverse: 'scale_down', config_schema: { type: 'object', properties: { replicas: Object } } })
  t.match(byType.get('rollback_deployment'), { risky: true })
})
