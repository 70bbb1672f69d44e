// /v1/components and /v1/executors: registering control targets, secrets never returned.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { unseal, secretsKey } from '../../../src/services/secrets.js'
import { buildTestApp, TEST_SECRETS_KEY, tokensFor } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

const registration = {
  component_type: 'edge_function',
  webhook_url: 'https://control.example.com/orchestrate-flow',
  webhook_secret: 'whsec_YS1sb25nLXJhbmRvbS1zaGFyZWQtc2VjcmV0LWJ5dGVz',
  redis_url: 'redis://cache-user:hunter2hunter2@127.0.0.1:6379/2',
  key_prefix: 'orchestrate:'
}

t.test('admins and services register a component; the secret is kept but never returned', async t => {
  const ctx = await buildTestApp(t)
  const put = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/orchestrate-flow',
    headers: ctx.admin.headers,
    payload: registration
  })
  t.equal(put.statusCode, 200)
  t.match(put.json(), {
    component_name: 'orchestrate-flow',
    webhook_url: registration.webhook_url,
    key_prefix: 'orchestrate:',
    redis_url: 'redis://cache-user:***@127.0.0.1:6379/2'
  })
  t.notMatch(put.body, /whsec_|hunter2/)

  const got = await ctx.app.inject({ url: '/v1/components/orchestrate-flow', headers: ctx.user.headers })
  t.equal(got.statusCode, 200)
  t.notMatch(got.body, /whsec_|hunter2/)
  t.equal((await ctx.app.inject({ url: '/v1/components', headers: ctx.user.headers })).json().length, 1)

  const again = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/orchestrate-flow',
    headers: ctx.service.headers,
    payload: {
      ...registration,
      organization_id: ctx.admin.organizationId,
      webhook_secret: undefined,
      description: 'updated'
    }
  })
  t.equal(again.statusCode, 200)
  const sql = ownerSql(t, ctx.databaseUrl)
  const [stored] = await sql<
    Array<{ webhook_secret: string; description: string }>
  >`select webhook_secret, description from components`
  t.equal(stored?.description, 'updated')
  t.equal(
    unseal(stored?.webhook_secret ?? '', secretsKey(TEST_SECRETS_KEY)),
    registration.webhook_secret,
    'a re-registration without the secret keeps it'
  )
  t.notMatch(again.body, /whsec_/, 'a kept secret is not returned')

  t.equal(
    (
      await ctx.app.inject({
        method: 'PUT',
        url: '/v1/components/orchestrate-flow',
        headers: ctx.user.headers,
        payload: registration
      })
    ).statusCode,
    403
  )
  t.equal((await ctx.app.inject({ url: '/v1/components/unknown', headers: ctx.user.headers })).statusCode, 404)
})

t.test("a component is its organization's: the same name in two organizations is two registrations", async t => {
  const ctx = await buildTestApp(t)
  const other = await tokensFor(randomUUID())
  const put = async (headers: Record<string, string>, payload: Record<string, unknown>) =>
    await ctx.app.inject({
      method: 'PUT',
      url: '/v1/components/orchestrate-flow',
      headers,
      payload: { ...registration, ...payload }
    })
  t.equal(
    (await put(ctx.admin.headers, { description: 'first' })).json().organization_id,
    ctx.admin.organizationId,
    'an admin registers within their organization'
  )
  t.equal(
    (await put(other.admin.headers, { description: 'second' })).json().organization_id,
    other.admin.organizationId
  )
  t.equal(
    (await put(ctx.service.headers, { organization_id: null, description: 'platform' })).json().organization_id,
    null,
    'the service role names the platform with null'
  )

  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(
    await sql`select organization_id, description from components order by description`,
    [
      { organization_id: ctx.admin.organizationId, description: 'first' },
      { organization_id: null, description: 'platform' },
      { organization_id: other.admin.organizationId, description: 'second' }
    ],
    'three rows: nothing overwritten across organizations'
  )

  const mine = await ctx.app.inject({ url: '/v1/components/orchestrate-flow', headers: ctx.user.headers })
  t.equal(mine.json().description, 'first', "a user reads their organization's")
  const theirs = await ctx.app.inject({ url: '/v1/components/orchestrate-flow', headers: other.user.headers })
  t.equal(theirs.json().description, 'second')
  t.same(
    (await ctx.app.inject({ url: '/v1/components', headers: ctx.user.headers }))
      .json()
      .map((c: { description: string }) => c.description),
    ['first'],
    "a user lists neither another organization's nor the platform's"
  )
  const named = await ctx.app.inject({
    url: `/v1/components/orchestrate-flow?organization_id=${other.admin.organizationId}`,
    headers: ctx.user.headers
  })
  t.equal(named.statusCode, 404, 'naming another organization shows a user nothing')
  t.equal(
    (
      await ctx.app.inject({
        url: '/v1/components/orchestrate-flow?organization_id=platform',
        headers: ctx.user.headers
      })
    ).statusCode,
    404,
    "the platform's components are for admins and the service role"
  )

  t.equal(
    (
      await ctx.app.inject({
        url: '/v1/components/orchestrate-flow?organization_id=platform',
        headers: ctx.admin.headers
      })
    ).json().description,
    'platform'
  )
  t.equal(
    (
      await ctx.app.inject({
        url: `/v1/components/orchestrate-flow?organization_id=${other.admin.organizationId}`,
        headers: ctx.service.headers
      })
    ).json().description,
    'second'
  )
  t.equal(
    (await ctx.app.inject({ url: '/v1/components', headers: ctx.service.headers })).json().length,
    3,
    "the service role lists every organization's"
  )
  t.equal(
    (await ctx.app.inject({ url: '/v1/components?organization_id=platform', headers: ctx.admin.headers })).json()
      .length,
    1
  )
})

t.test("the list narrows to one component's registration by name: an empty list when it has none", async t => {
  const ctx = await buildTestApp(t)
  const other = await tokensFor(randomUUID())
  for (const headers of [ctx.admin.headers, other.admin.headers])
    await ctx.app.inject({ method: 'PUT', url: '/v1/components/orchestrate-flow', headers, payload: registration })
  await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/search',
    headers: ctx.admin.headers,
    payload: registration
  })
  const list = async (query: string, headers = ctx.user.headers) => {
    const res = await ctx.app.inject({ url: `/v1/components?${query}`, headers })
    t.equal(res.statusCode, 200, res.body)
    return res.json().map((c: { component_name: string; organization_id: string }) => c.organization_id)
  }
  t.same(await list('component_name=orchestrate-flow'), [ctx.user.organizationId], "a user: their organization's")
  t.same(
    await list(`component_name=orchestrate-flow&organization_id=${other.admin.organizationId}`, ctx.service.headers),
    [other.admin.organizationId]
  )
  t.same(await list('component_name=unregistered'), [], 'none registered: an empty list, not a 404')
  t.same(
    await list(`component_name=${encodeURIComponent('<img src=x> café')}`),
    [],
    'a name no registration can have is still a question with an answer'
  )
  const refused = await ctx.app.inject({ url: '/v1/components?component_name=', headers: ctx.user.headers })
  t.equal(refused.statusCode, 400)
  t.match(refused.json().errors, [{ path: '/querystring/component_name' }])
})

t.test('the service role names the organization: 400 naming the field when it does not', async t => {
  const ctx = await buildTestApp(t)
  const put = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/orchestrate-flow',
    headers: ctx.service.headers,
    payload: registration
  })
  t.equal(put.statusCode, 400)
  t.match(put.json(), { code: 'ORGANIZATION_REQUIRED', errors: [{ path: '/body/organization_id' }] })
  const get = await ctx.app.inject({ url: '/v1/components/orchestrate-flow', headers: ctx.service.headers })
  t.equal(get.statusCode, 400)
  t.match(get.json().errors, [{ path: '/querystring/organization_id' }])
  const bad = await ctx.app.inject({
    url: '/v1/components/orchestrate-flow?organization_id=everyone',
    headers: ctx.service.headers
  })
  t.match(bad.json().errors, [{ path: '/querystring/organization_id' }])
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(await sql`select count(*)::int as n from components`, [{ n: 0 }], 'nothing stored')
})

t.test('incomplete targets are refused naming the rule or field', async t => {
  const ctx = await buildTestApp(t)
  const unprefixed = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/a',
    headers: ctx.admin.headers,
    payload: { component_type: 'x', redis_url: 'redis://cache.example.com:6379' }
  })
  t.equal(unprefixed.statusCode, 400)
  t.match(unprefixed.json().detail, /components_redis_prefixed/)
  const shortSecret = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/a',
    headers: ctx.admin.headers,
    payload: { component_type: 'x', webhook_url: 'https://c.example.com/a', webhook_secret: 'short' }
  })
  t.match(shortSecret.json().errors, [{ path: '/body/webhook_secret' }])
  const badName = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/has%20space',
    headers: ctx.admin.headers,
    payload: { component_type: 'x' }
  })
  t.match(badName.json().errors, [{ path: '/params/component_name' }])
})

t.test('the executor registry lists every action type with its parameters schema', async t => {
  const ctx = await buildTestApp(t)
  const res = await ctx.app.inject({ url: '/v1/executors', headers: ctx.user.headers })
  t.equal(res.statusCode, 200)
  const byType = new Map(res.json().map((e: { type: string }) => [e.type, e]))
  for (const type of [
    'restart_function',
    'scale_up',
    'scale_down',
    'clear_cache',
    'reset_connection',
    'rollback_deployment'
  ])
    t.ok(byType.has(type), type)
  t.match(byType.get('scale_up'), {
    risky: false,
    inverse: 'scale_down',
    config_schema: { type: 'object', properties: { replicas: Object } }
  })
  t.match(byType.get('rollback_deployment'), { risky: true })
})
