// /v1/anomalies: storing signals, reading under RLS, the helper-function endpoints, and the
// lifecycle through PATCH with its refusals.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

function signal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    anomaly_type: 'latency_spike',
    severity: 'high',
    source_type: 'system_health_events',
    source_component_name: 'orchestrate-flow',
    baseline_value: 180,
    observed_value: 2400,
    deviation_percentage: 1233.3,
    ...overrides
  }
}

async function store(ctx: TestApp, payload: Record<string, unknown>) {
  const res = await ctx.app.inject({ method: 'POST', url: '/v1/anomalies', headers: ctx.service.headers, payload })
  if (res.statusCode !== 201) throw new Error(`store failed: ${res.body}`)
  return res.json()
}

t.test('the service role stores a signal; users and admins may not', async t => {
  const ctx = await buildTestApp(t)
  const row = await store(ctx, signal({ user_id: ctx.user.id, confidence_score: 0.92 }))
  t.match(row, {
    status: 'open',
    severity: 'high',
    observed_value: 2400,
    confidence_score: 0.92,
    historical_occurrences: 1,
    flapping: false,
    acknowledged_at: null
  })
  for (const caller of [ctx.user, ctx.admin]) {
    t.equal(
      (await ctx.app.inject({ method: 'POST', url: '/v1/anomalies', headers: caller.headers, payload: signal() }))
        .statusCode,
      403
    )
  }
  const bad = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies',
    headers: ctx.service.headers,
    payload: signal({ severity: 'urgent', confidence_score: 3 })
  })
  t.equal(bad.statusCode, 400)
  t.same(
    bad
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort(),
    ['/body/confidence_score', '/body/severity']
  )
  const duplicate = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies',
    headers: ctx.service.headers,
    payload: signal({ user_id: ctx.user.id })
  })
  t.equal(duplicate.statusCode, 409, 'one active signal per component and type')
})

t.test('reads follow RLS: a user sees own signals, another user gets 404, an admin sees all', async t => {
  const ctx = await buildTestApp(t)
  const mine = await store(ctx, signal({ user_id: ctx.user.id, source_component_name: 'a' }))
  const theirs = await store(ctx, signal({ user_id: ctx.otherUser.id, source_component_name: 'b' }))
  const list = await ctx.app.inject({ url: '/v1/anomalies', headers: ctx.user.headers })
  t.same(
    list.json().items.map((r: { id: string }) => r.id),
    [mine.id]
  )
  t.equal((await ctx.app.inject({ url: `/v1/anomalies/${theirs.id}`, headers: ctx.user.headers })).statusCode, 404)
  t.equal(
    (await ctx.app.inject({ url: `/v1/anomalies/${theirs.id}/correlated`, headers: ctx.user.headers })).statusCode,
    404
  )
  const all = await ctx.app.inject({ url: '/v1/anomalies?severity=high', headers: ctx.admin.headers })
  t.equal(all.json().items.length, 2)
  t.equal(
    (await ctx.app.inject({ url: '/v1/anomalies?source_component_name=b', headers: ctx.admin.headers })).json().items
      .length,
    1
  )
})

t.test('the lifecycle: acknowledge, resolve, and refused moves', async t => {
  const ctx = await buildTestApp(t)
  const row = await store(ctx, signal({ user_id: ctx.user.id }))
  const patch = async (caller: TestApp['user'], body: Record<string, unknown>, id = row.id) =>
    await ctx.app.inject({ method: 'PATCH', url: `/v1/anomalies/${id}`, headers: caller.headers, payload: body })

  t.equal((await patch(ctx.otherUser, { status: 'acknowledged' })).statusCode, 404, 'another user cannot see it')
  const acknowledged = await patch(ctx.user, { status: 'acknowledged' })
  t.equal(acknowledged.statusCode, 200)
  t.match(acknowledged.json(), { status: 'acknowledged', acknowledged_by: ctx.user.id, acknowledged_at: String })

  const resolved = await patch(ctx.admin, { status: 'resolved', resolution_notes: 'cache warmed' })
  t.match(resolved.json(), {
    status: 'resolved',
    resolved_by: ctx.admin.id,
    resolution_notes: 'cache warmed',
    resolution_duration_minutes: Number
  })

  const again = await patch(ctx.user, { status: 'acknowledged' })
  t.equal(again.statusCode, 409)
  t.match(again.json(), {
    status: 409,
    type: 'urn:core314:problem:conflict',
    detail: /cannot move from resolved to acknowledged/
  })
  const reopened = await patch(ctx.admin, { status: 'open' })
  t.equal(reopened.statusCode, 409, 'only the detector reopens a resolved signal')
  t.match(reopened.json(), { detail: /cannot move from resolved to open/ })
  t.equal((await patch(ctx.user, { status: 'done' })).statusCode, 400)
  t.equal((await patch(ctx.user, { status: 'resolved', owner: 'me' })).statusCode, 400)
  t.equal((await patch(ctx.admin, { status: 'resolved' }, randomUUID())).statusCode, 404)

  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(await sql`select status, user_id from anomaly_signals where id = ${row.id}`, [
    { status: 'resolved', user_id: ctx.user.id }
  ])
})

t.test('active, statistics and correlated come from the helper functions', async t => {
  const ctx = await buildTestApp(t)
  const a = await store(ctx, signal({ source_component_name: 'api', severity: 'critical' }))
  const b = await store(
    ctx,
    signal({ source_component_name: 'db', anomaly_type: 'error_rate_increase', severity: 'medium' })
  )
  const c = await store(ctx, signal({ source_component_name: 'cache', severity: 'low' }))
  await ctx.app.inject({
    method: 'PATCH',
    url: `/v1/anomalies/${c.id}`,
    headers: ctx.service.headers,
    payload: { status: 'false_positive' }
  })

  const active = await ctx.app.inject({ url: '/v1/anomalies/active?min_severity=medium', headers: ctx.admin.headers })
  t.same(
    active.json().map((r: { id: string }) => r.id),
    [a.id, b.id],
    'most severe first, closed ones left out'
  )

  const stats = (await ctx.app.inject({ url: '/v1/anomalies/statistics', headers: ctx.admin.headers })).json()
  t.match(stats, {
    total_count: 3,
    active_count: 2,
    false_positive_count: 1,
    critical_count: 1,
    medium_count: 1,
    low_count: 1
  })

  const correlated = await ctx.app.inject({ url: `/v1/anomalies/${a.id}/correlated`, headers: ctx.admin.headers })
  t.equal(correlated.statusCode, 200)
  t.ok(
    correlated.json().some((r: { id: string }) => r.id === b.id),
    'a signal on another component at the same time is correlated'
  )
  t.equal(
    (await ctx.app.inject({ url: '/v1/anomalies/statistics?since=yesterday', headers: ctx.admin.headers })).statusCode,
    400
  )
})

// Regression: a signal with an empty component name was stored, and the action the engine
// planned for it (whose target name must have 1-200 characters) then failed every heal run.
t.test('a signal names its component with 1-200 characters, or with null for none', async t => {
  const ctx = await buildTestApp(t)
  for (const [name, value] of [
    ['an empty name', ''],
    ['a name over 200 characters', 'c'.repeat(201)]
  ] as const) {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/anomalies',
      headers: ctx.service.headers,
      payload: signal({ organization_id: randomUUID(), source_type: 'probe', source_component_name: value })
    })
    t.equal(res.statusCode, 400, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.same(
      res.json().errors.map((e: { path: string }) => e.path),
      ['/body/source_component_name'],
      `${name}: the field is named`
    )
  }
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(await sql`select id from anomaly_signals`, [], 'nothing stored')

  const unnamed = await store(ctx, signal({ source_component_name: null }))
  t.equal(unnamed.source_component_name, null, 'null still says there is no component')
  const longest = await store(ctx, signal({ source_component_name: 'c'.repeat(200) }))
  t.equal(longest.source_component_name, 'c'.repeat(200))
})
