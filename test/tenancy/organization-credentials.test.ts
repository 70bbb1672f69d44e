// Credentials that carry an organization act in it. A service token of one organization (and an
// ingest key, which acts as the service role for its organization) reads, writes and changes only
// its organization's events, signals, actions, registry and breakers (migration 0149); an admin's
// action that names no organization is for the admin's own component, not the platform's one of
// the same name.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { startControlEndpoint } from '../helpers/control-endpoint.js'
import { ownerSql } from '../helpers/database.js'

const COMPONENT = 'checkout'

function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

async function organizationService(ctx: TestApp, organizationId: string): Promise<{ authorization: string }> {
  return bearer(
    await ctx.token({ role: 'service_role', sub: randomUUID(), app_metadata: { organization_id: organizationId } })
  )
}

t.test("an organization's service token neither sees nor touches another organization's rows", async t => {
  const ctx = await buildTestApp(t)
  const [orgA, orgB] = [randomUUID(), randomUUID()]
  const serviceB = await organizationService(ctx, orgB)
  const register = await ctx.app.inject({
    method: 'PUT',
    url: `/v1/components/${COMPONENT}`,
    headers: ctx.service.headers,
    payload: { component_type: 'edge_function', organization_id: orgA, description: "A's checkout" }
  })
  t.equal(register.statusCode, 200)
  const eventA = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events',
    headers: ctx.service.headers,
    payload: { organization_id: orgA, component_type: 'edge_function', component_name: COMPONENT, status: 'critical' }
  })
  const signalA = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies',
    headers: ctx.service.headers,
    payload: {
      organization_id: orgA,
      anomaly_type: 'latency_spike',
      severity: 'high',
      source_type: 'edge_function',
      source_component_name: COMPONENT
    }
  })
  const actionA = await ctx.app.inject({
    method: 'POST',
    url: '/v1/recovery-actions',
    headers: ctx.service.headers,
    payload: { organization_id: orgA, action_type: 'clear_cache', target_component_name: COMPONENT }
  })
  t.same([eventA.statusCode, signalA.statusCode, actionA.statusCode], [201, 201, 201])

  const asB = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    await ctx.app.inject({ method, url, headers: serviceB, ...(payload === undefined ? {} : { payload }) })

  t.same((await asB('GET', `/v1/components?organization_id=${orgA}`)).json(), [], "A's registry is not listed")
  t.equal((await asB('GET', `/v1/components/${COMPONENT}?organization_id=${orgA}`)).statusCode, 404)
  t.equal((await asB('GET', `/v1/health-events/${eventA.json().id as string}`)).statusCode, 404)
  t.equal((await asB('GET', `/v1/anomalies/${signalA.json().id as string}`)).statusCode, 404)
  t.equal((await asB('GET', `/v1/recovery-actions/${actionA.json().id as string}`)).statusCode, 404)
  t.same((await asB('GET', '/v1/anomalies')).json().items, [], 'no signal of A is listed')

  const acknowledge = await asB('PATCH', `/v1/anomalies/${signalA.json().id as string}`, { status: 'acknowledged' })
  t.equal(acknowledge.statusCode, 404, "A's signal cannot be acknowledged")
  const event = await asB('POST', '/v1/health-events', {
    organization_id: orgA,
    component_type: 'edge_function',
    component_name: COMPONENT,
    status: 'critical'
  })
  t.match(event.json(), { status: 403, code: 'ROW_NOT_PERMITTED' }, 'no event is posted for A')
  const action = await asB('POST', '/v1/recovery-actions', {
    organization_id: orgA,
    action_type: 'restart_function',
    target_component_name: COMPONENT
  })
  t.match(action.json(), { status: 403, code: 'ROW_NOT_PERMITTED' }, 'no action is asked for A')
  const platform = await asB('POST', '/v1/health-events', {
    organization_id: null,
    component_type: 'database',
    component_name: 'postgres',
    status: 'critical'
  })
  t.equal(platform.statusCode, 403, "nor for the platform's own components")
  const reregister = await ctx.app.inject({
    method: 'PUT',
    url: `/v1/components/${COMPONENT}`,
    headers: serviceB,
    payload: { component_type: 'edge_function', organization_id: orgA, description: 'taken over' }
  })
  t.equal(reregister.statusCode, 403, "A's registration cannot be replaced")

  const sql = ownerSql(t, ctx.databaseUrl)
  const [stored] = await sql<Array<{ events: number; actions: number; status: string; description: string }>>`
    select (select count(*)::int from system_health_events where organization_id = ${orgA}) as events,
      (select count(*)::int from recovery_actions where organization_id = ${orgA}) as actions,
      (select status from anomaly_signals where id = ${signalA.json().id as string}) as status,
      (select description from components where organization_id = ${orgA}) as description`
  t.same(stored, { events: 1, actions: 1, status: 'open', description: "A's checkout" }, 'A is as it was')

  const own = await asB('POST', '/v1/health-events', {
    organization_id: orgB,
    component_type: 'edge_function',
    component_name: COMPONENT,
    status: 'healthy'
  })
  t.equal(own.statusCode, 201, 'its own organization it writes as before')
  const unnamed = await asB('POST', '/v1/health-events', {
    component_type: 'edge_function',
    component_name: COMPONENT,
    status: 'healthy'
  })
  t.match(unnamed.json(), { organization_id: orgB }, 'an event naming no organization is for its own')
  const ownAction = await asB('POST', '/v1/recovery-actions', {
    action_type: 'clear_cache',
    target_component_name: COMPONENT
  })
  t.match(ownAction.json(), { organization_id: orgB }, 'an action naming no organization is for its own')
  t.equal((await asB('GET', `/v1/health-events/${own.json().id as string}`)).statusCode, 200)
})

t.test("an admin's action naming no organization acts on the admin's component, not the platform's", async t => {
  const ctx = await buildTestApp(t)
  const own = await startControlEndpoint(t)
  const platform = await startControlEndpoint(t)
  for (const [organizationId, endpoint] of [
    [ctx.admin.organizationId, own],
    [null, platform]
  ] as const) {
    const res = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/components/${COMPONENT}`,
      headers: ctx.service.headers,
      payload: { component_type: 'edge_function', organization_id: organizationId, webhook_url: endpoint.url }
    })
    t.equal(res.statusCode, 200)
  }
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/v1/recovery-actions',
    headers: ctx.admin.headers,
    payload: { action_type: 'restart_function', target_component_name: COMPONENT, max_attempts: 1 }
  })
  t.match(created.json(), { organization_id: ctx.admin.organizationId })
  const executed = await ctx.app.inject({
    method: 'POST',
    url: `/v1/recovery-actions/${created.json().id as string}/execute`,
    headers: ctx.admin.headers
  })
  t.match(executed.json(), { execution_status: 'succeeded' })
  t.equal(own.requests.length, 1, "the admin's organization's component was restarted")
  t.equal(platform.requests.length, 0, "the platform's was not")
})
