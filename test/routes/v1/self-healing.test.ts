// /v1/self-healing and /v1/circuit-breakers: who may read and change the mode, validation,
// the audit of a change, and who may run healing, read breakers and roll actions back.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, testConfig } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

t.test('the mode: everyone reads it, only admins change it, bad input is 400, changes are audited', async t => {
  const ctx = await buildTestApp(t)
  const get = await ctx.app.inject({ url: '/v1/self-healing/mode', headers: ctx.user.headers })
  t.equal(get.statusCode, 200)
  t.match(get.json(), { mode: 'auto', updated_at: String })
  const put = async (caller: typeof ctx.admin, payload: unknown) =>
    await ctx.app.inject({
      method: 'PUT',
      url: '/v1/self-healing/mode',
      headers: caller.headers,
      payload: payload as Record<string, unknown>
    })
  t.equal((await put(ctx.user, { mode: 'off' })).statusCode, 403)
  t.equal((await put(ctx.service, { mode: 'off' })).statusCode, 403)
  const bad = await put(ctx.admin, { mode: 'panic' })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().errors, [{ path: '/body/mode' }])
  const changed = await put(ctx.admin, { mode: 'off', reason: 'incident 4711' })
  t.match(changed.json(), { mode: 'off', reason: 'incident 4711', updated_by: ctx.admin.id })
  t.match((await ctx.app.inject({ url: '/v1/self-healing/mode', headers: ctx.service.headers })).json(), {
    mode: 'off'
  })
  const sql = ownerSql(t, ctx.databaseUrl)
  t.match(await sql`select decision_type, outcome, reasoning, actor, input from decision_audit_log`, [
    {
      decision_type: 'mode_change',
      outcome: 'off',
      reasoning: 'incident 4711',
      actor: ctx.admin.id,
      input: { previous: 'auto' }
    }
  ])
  t.equal((await ctx.app.inject({ url: '/v1/self-healing/mode' })).statusCode, 401)
})

t.test('running healing is for services and admins; an empty body runs everything open', async t => {
  const ctx = await buildTestApp(t)
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/v1/self-healing/run', headers: ctx.user.headers, payload: {} }))
      .statusCode,
    403
  )
  const run = await ctx.app.inject({ method: 'POST', url: '/v1/self-healing/run', headers: ctx.admin.headers })
  t.equal(run.statusCode, 200)
  t.same(run.json(), { mode: 'auto', dry_run: false, decisions: [], skipped: [], attempts: [] })
  t.equal(
    (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/self-healing/run',
        headers: ctx.admin.headers,
        payload: { anomaly_id: 'nope' }
      })
    ).statusCode,
    400
  )
})

t.test('circuit breakers: a component never tripped is 404, the list filters by state', async t => {
  const ctx = await buildTestApp(t)
  t.equal(
    (await ctx.app.inject({ url: '/v1/circuit-breakers/checkout-api', headers: ctx.user.headers })).statusCode,
    404
  )
  const sql = ownerSql(t, ctx.databaseUrl)
  const org = ctx.user.organizationId
  await sql`insert into circuit_breakers (organization_id, component_name, state, opened_at, next_probe_at) values (${org}, 'a', 'open', now(), now() + interval '1 minute'), (${org}, 'b', 'closed', null, null)`
  t.same(
    (await ctx.app.inject({ url: '/v1/circuit-breakers?state=open', headers: ctx.user.headers }))
      .json()
      .map((b: { component_name: string }) => b.component_name),
    ['a']
  )
  t.equal((await ctx.app.inject({ url: '/v1/circuit-breakers', headers: ctx.user.headers })).json().length, 2)
  t.equal(
    (await ctx.app.inject({ url: '/v1/circuit-breakers?state=broken', headers: ctx.user.headers })).statusCode,
    400
  )
})

t.test("the list narrows to one component's breaker by name: an empty list, not a 404, when it has none", async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const theirs = randomUUID()
  await sql`insert into circuit_breakers (organization_id, component_name, state, opened_at, next_probe_at, reason) values
    (${ctx.user.organizationId}, 'checkout', 'open', now(), now() + interval '1 minute', 'ours'),
    (${ctx.user.organizationId}, 'search', 'closed', null, null, 'other component'),
    (${theirs}, 'checkout', 'open', now(), now() + interval '1 minute', 'theirs')`
  const list = async (query: string, headers = ctx.user.headers) => {
    const res = await ctx.app.inject({ url: `/v1/circuit-breakers?${query}`, headers })
    t.equal(res.statusCode, 200, res.body)
    return res.json().map((b: { reason: string }) => b.reason)
  }
  t.same(await list('component_name=checkout'), ['ours'], "a user: their organization's only")
  t.same(await list('component_name=never-tripped'), [], 'none recorded: an empty list')
  t.same(await list(`component_name=checkout&organization_id=${theirs}`, ctx.service.headers), ['theirs'])
  t.same(await list(`component_name=${encodeURIComponent('<img src=x> café')}`), [], 'any reported name')
  const refused = await ctx.app.inject({ url: '/v1/circuit-breakers?component_name=', headers: ctx.user.headers })
  t.equal(refused.statusCode, 400)
  t.match(refused.json().errors, [{ path: '/querystring/component_name' }])
})

t.test('a breaker is read by any name a component reports under, not only a registrable one', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const name = 'Zahlungsdienst – café ✓ (eu)'
  await sql`insert into circuit_breakers (organization_id, component_name, state, opened_at, next_probe_at)
    values (${ctx.user.organizationId}, ${name}, 'open', now(), now() + interval '1 minute')`
  const got = await ctx.app.inject({
    url: `/v1/circuit-breakers/${encodeURIComponent(name)}`,
    headers: ctx.user.headers
  })
  t.equal(got.statusCode, 200, got.body)
  t.match(got.json(), { component_name: name, state: 'open' })
})

t.test(
  "circuit breakers are their organization's: same name, other organization or the platform, never shown",
  async t => {
    const ctx = await buildTestApp(t)
    const sql = ownerSql(t, ctx.databaseUrl)
    const mine = ctx.user.organizationId
    const theirs = randomUUID()
    await sql`insert into circuit_breakers (organization_id, component_name, state, opened_at, next_probe_at, reason) values
    (${mine}, 'orchestrate-flow', 'closed', null, null, 'ours'),
    (${theirs}, 'orchestrate-flow', 'open', now(), now() + interval '1 minute', 'their outage'),
    (null, 'orchestrate-flow', 'open', now(), now() + interval '1 minute', 'platform outage')`
    const one = await ctx.app.inject({ url: '/v1/circuit-breakers/orchestrate-flow', headers: ctx.user.headers })
    t.match(one.json(), { organization_id: mine, state: 'closed', reason: 'ours' })
    const list = await ctx.app.inject({ url: '/v1/circuit-breakers', headers: ctx.user.headers })
    t.same(
      list.json().map((b: { reason: string }) => b.reason),
      ['ours']
    )
    t.notMatch(list.body, /their outage|platform outage/)
    t.equal(
      (
        await ctx.app.inject({
          url: `/v1/circuit-breakers/orchestrate-flow?organization_id=${theirs}`,
          headers: ctx.user.headers
        })
      ).statusCode,
      404
    )
    t.equal(
      (
        await ctx.app.inject({
          url: '/v1/circuit-breakers/orchestrate-flow?organization_id=platform',
          headers: ctx.user.headers
        })
      ).statusCode,
      404
    )

    t.match(
      (
        await ctx.app.inject({
          url: '/v1/circuit-breakers/orchestrate-flow?organization_id=platform',
          headers: ctx.admin.headers
        })
      ).json(),
      { organization_id: null, reason: 'platform outage' }
    )
    const service = await ctx.app.inject({ url: '/v1/circuit-breakers/orchestrate-flow', headers: ctx.service.headers })
    t.equal(service.statusCode, 400)
    t.match(service.json().errors, [{ path: '/querystring/organization_id' }])
    t.match(
      (
        await ctx.app.inject({
          url: `/v1/circuit-breakers/orchestrate-flow?organization_id=${theirs}`,
          headers: ctx.service.headers
        })
      ).json(),
      { reason: 'their outage' }
    )
    t.equal(
      (await ctx.app.inject({ url: '/v1/circuit-breakers?state=open', headers: ctx.service.headers })).json().length,
      2
    )
  }
)

t.test('rollback: 409 for an unfinished action or one the service cannot undo; the inverse for scaling', async t => {
  const ctx = await buildTestApp(t, { healing: { ...testConfig().healing, approvalTypes: [] } })
  const sql = ownerSql(t, ctx.databaseUrl)
  const [restart] =
    await sql`insert into recovery_actions (action_type, target_component_name, execution_status) values ('restart_function', 'api', 'succeeded') returning id`
  const [scale] =
    await sql`insert into recovery_actions (action_type, target_component_name, execution_status, action_parameters) values ('scale_up', 'api', 'succeeded', '{"delta": 2}') returning id`
  const [pending] =
    await sql`insert into recovery_actions (action_type, target_component_name) values ('scale_up', 'api') returning id`
  const rollback = async (id: string, caller = ctx.admin) =>
    await ctx.app.inject({
      method: 'POST',
      url: `/v1/recovery-actions/${id}/rollback`,
      headers: caller.headers,
      payload: {}
    })
  t.equal((await rollback(restart?.id, ctx.user)).statusCode, 403)
  t.match((await rollback(restart?.id)).json(), { status: 409, detail: /no inverse/ })
  t.match((await rollback(pending?.id)).json(), { status: 409, detail: /only a succeeded or failed/ })
  const res = await rollback(scale?.id)
  t.equal(res.statusCode, 201)
  t.match(res.json(), {
    action: { id: scale?.id, rollback_action_id: String, rollback_reason: 'rollback requested' },
    rollback_action: {
      action_type: 'scale_down',
      action_parameters: { delta: 2 },
      execution_status: 'failed',
      execution_error_code: 'NO_TARGET'
    }
  })
  t.equal((await rollback(scale?.id)).statusCode, 409, 'one rollback per action')
})
