// /v1/recovery-actions: creation checked against the executor registry, approval by risk,
// the approval workflow and its refusals, reads under RLS, and the helper-function reports.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, testConfig, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

function action(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action_type: 'restart_function',
    target_component_name: 'orchestrate-flow',
    trigger_reason: 'p95 latency 2.4 s',
    ...overrides
  }
}

async function create(ctx: TestApp, payload: Record<string, unknown>, caller = ctx.service) {
  return await ctx.app.inject({ method: 'POST', url: '/v1/recovery-actions', headers: caller.headers, payload })
}

t.test('services and admins create actions; a risky type waits for approval, a safe one does not', async t => {
  const ctx = await buildTestApp(t)
  const safe = await create(ctx, action({ user_id: ctx.user.id }))
  t.equal(safe.statusCode, 201)
  t.match(safe.json(), {
    execution_status: 'pending',
    requires_approval: false,
    approval_status: 'not_required',
    trigger_type: 'manual',
    max_attempts: 3,
    dry_run: false
  })

  const risky = await create(ctx, action({ action_type: 'rollback_deployment' }), ctx.admin)
  t.match(risky.json(), {
    execution_status: 'pending_approval',
    requires_approval: true,
    approval_status: 'pending',
    triggered_by_user_id: ctx.admin.id
  })

  const dryRun = await create(
    ctx,
    action({ action_type: 'scale_down', dry_run: true, action_parameters: { delta: 1 } })
  )
  t.match(dryRun.json(), { execution_status: 'pending', requires_approval: false, dry_run: true })

  t.equal((await create(ctx, action(), ctx.user)).statusCode, 403)
})

t.test('the action type must be a registered executor and its parameters valid for it', async t => {
  const ctx = await buildTestApp(t)
  const unknown = await create(ctx, action({ action_type: 'drop_database' }))
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json().errors, [{ path: '/body/action_type', message: /not a registered executor type/ }])

  const badParameters = await create(
    ctx,
    action({ action_type: 'scale_up', action_parameters: { replicas: 'many', colour: 'red' } })
  )
  t.equal(badParameters.statusCode, 400)
  const paths = badParameters
    .json()
    .errors.map((e: { path: string }) => e.path)
    .sort()
  t.same(paths, ['/body/action_parameters/colour', '/body/action_parameters/replicas'])

  const badRetry = await create(ctx, action({ retry_policy: { factor: 50 }, timeout_seconds: 0 }))
  t.same(
    badRetry
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort(),
    ['/body/retry_policy/factor', '/body/timeout_seconds']
  )

  const missingAnomaly = await create(ctx, action({ triggered_by_anomaly_id: randomUUID() }))
  t.equal(missingAnomaly.statusCode, 400, 'a reference to no anomaly is bad input')
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(await sql`select count(*)::int as n from recovery_actions`, [{ n: 0 }])
})

t.test('approval workflow: admins approve or reject once; everything else is refused', async t => {
  const ctx = await buildTestApp(t)
  const first = (await create(ctx, action({ action_type: 'rollback_deployment' }))).json()
  const second = (
    await create(ctx, action({ action_type: 'rollback_deployment', target_component_name: 'other' }))
  ).json()
  const post = async (id: string, operation: string, caller: TestApp['admin'], payload?: Record<string, unknown>) =>
    await ctx.app.inject({
      method: 'POST',
      url: `/v1/recovery-actions/${id}/${operation}`,
      headers: caller.headers,
      ...(payload === undefined ? {} : { payload })
    })

  t.equal((await post(first.id, 'approve', ctx.user)).statusCode, 403)
  t.equal((await post(first.id, 'approve', ctx.service)).statusCode, 403)
  const approved = await post(first.id, 'approve', ctx.admin, { notes: 'go ahead' })
  t.equal(approved.statusCode, 200)
  t.match(approved.json(), {
    execution_status: 'approved',
    approval_status: 'approved',
    approved_by: ctx.admin.id,
    approved_at: String,
    approval_notes: 'go ahead'
  })
  t.match(
    (await post(first.id, 'reject', ctx.admin)).json(),
    { status: 409, code: 'ACTION_STATE_CONFLICT' },
    'a decided action cannot be decided again'
  )

  const rejected = await post(second.id, 'reject', ctx.admin)
  t.match(rejected.json(), { execution_status: 'rejected', approval_status: 'rejected' })
  t.match(
    (await post(second.id, 'cancel', ctx.admin)).json(),
    { status: 409, code: 'ACTION_STATE_CONFLICT' },
    'a rejected action cannot be cancelled, refused as execute and approve refuse it'
  )

  const cancelled = await post(first.id, 'cancel', ctx.admin, { notes: 'not needed after all' })
  t.match(cancelled.json(), { execution_status: 'cancelled' })
  t.equal((await post(randomUUID(), 'approve', ctx.admin)).statusCode, 404)

  const safe = (await create(ctx, action())).json()
  t.equal(
    (await post(safe.id, 'approve', ctx.admin)).statusCode,
    409,
    'an action that needs no approval cannot be approved'
  )

  const sql = ownerSql(t, ctx.databaseUrl)
  const third = (
    await create(ctx, action({ action_type: 'rollback_deployment', target_component_name: 'late' }))
  ).json()
  await sql`update recovery_actions set approval_expires_at = now() - interval '1 minute' where id = ${third.id}`
  t.equal((await post(third.id, 'approve', ctx.admin)).statusCode, 409, 'an expired approval window is refused')
})

t.test('a type in HEAL_APPROVAL_TYPES waits for approval even when the request says it need not', async t => {
  const ctx = await buildTestApp(t)
  const waived = await create(ctx, action({ action_type: 'rollback_deployment', requires_approval: false }))
  t.equal(waived.statusCode, 201)
  t.match(waived.json(), { execution_status: 'pending_approval', requires_approval: true, approval_status: 'pending' })
  const execute = await ctx.app.inject({
    method: 'POST',
    url: `/v1/recovery-actions/${waived.json().id as string}/execute`,
    headers: ctx.admin.headers
  })
  t.match(execute.json(), { status: 409, detail: /approval/ }, 'and cannot be executed before it is approved')

  const asked = await create(ctx, action({ requires_approval: true }))
  t.match(
    asked.json(),
    { execution_status: 'pending_approval', requires_approval: true },
    'a safe type waits when asked to'
  )
  const safe = await create(ctx, action({ requires_approval: false }))
  t.match(safe.json(), { execution_status: 'pending', requires_approval: false })
})

t.test('four eyes: the admin who requested an action cannot approve it, another admin can', async t => {
  const ctx = await buildTestApp(t)
  const secondAdmin = await ctx.token({
    sub: randomUUID(),
    role: 'authenticated',
    app_metadata: { organization_id: ctx.admin.organizationId, role: 'admin' }
  })
  const requested = (await create(ctx, action({ action_type: 'rollback_deployment' }), ctx.admin)).json()
  t.equal(requested.triggered_by_user_id, ctx.admin.id, 'the requester is recorded')
  const post = async (operation: string, authorization: string) =>
    await ctx.app.inject({
      method: 'POST',
      url: `/v1/recovery-actions/${requested.id as string}/${operation}`,
      headers: { authorization }
    })

  const own = await post('approve', ctx.admin.headers.authorization)
  t.equal(own.statusCode, 403)
  t.match(own.json(), { status: 403, detail: /requested by you; another admin must approve it/ })
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(await sql`select execution_status, approved_by from recovery_actions where id = ${requested.id as string}`, [
    { execution_status: 'pending_approval', approved_by: null }
  ])

  const other = await post('approve', `Bearer ${secondAdmin}`)
  t.equal(other.statusCode, 200)
  t.match(other.json(), { execution_status: 'approved', approved_by: String, triggered_by_user_id: ctx.admin.id })
  t.not(other.json().approved_by, ctx.admin.id)

  const second = (
    await create(ctx, action({ action_type: 'scale_down', action_parameters: { delta: 1 } }), ctx.admin)
  ).json()
  const rejected = await ctx.app.inject({
    method: 'POST',
    url: `/v1/recovery-actions/${second.id as string}/reject`,
    headers: ctx.admin.headers
  })
  t.match(rejected.json(), { execution_status: 'rejected' }, 'the requester may still reject their own request')
})

t.test('HEAL_FOUR_EYES=false lets a single admin approve their own request', async t => {
  const alone = await buildTestApp(t, { healing: { ...testConfig().healing, fourEyes: false } })
  const requested = (await create(alone, action({ action_type: 'rollback_deployment' }), alone.admin)).json()
  const approved = await alone.app.inject({
    method: 'POST',
    url: `/v1/recovery-actions/${requested.id as string}/approve`,
    headers: alone.admin.headers
  })
  t.equal(approved.statusCode, 200)
  t.match(approved.json(), {
    execution_status: 'approved',
    approved_by: alone.admin.id,
    triggered_by_user_id: alone.admin.id
  })
})

t.test('execute runs a pending action now; an action waiting for approval or unknown is refused', async t => {
  const ctx = await buildTestApp(t)
  const row = (await create(ctx, action({ target_component_name: 'unregistered' }))).json()
  const post = async (id: string, caller = ctx.admin) =>
    await ctx.app.inject({ method: 'POST', url: `/v1/recovery-actions/${id}/execute`, headers: caller.headers })
  t.equal((await post(row.id, ctx.user)).statusCode, 403)
  const res = await post(row.id)
  t.equal(res.statusCode, 200)
  t.match(res.json(), { id: row.id, execution_status: 'failed', execution_error_code: 'NO_TARGET', attempt_number: 1 })
  t.equal((await post(row.id)).statusCode, 409, 'a finished action cannot be executed again')
  const risky = (await create(ctx, action({ action_type: 'rollback_deployment' }))).json()
  t.match((await post(risky.id)).json(), { status: 409, detail: /approval/ })
  t.equal((await post(randomUUID())).statusCode, 404)
})

t.test('reads under RLS, filters, pending and statistics', async t => {
  const ctx = await buildTestApp(t)
  const mine = (await create(ctx, action({ user_id: ctx.user.id }))).json()
  const theirs = (await create(ctx, action({ user_id: ctx.otherUser.id, action_type: 'clear_cache' }))).json()
  const own = (await ctx.app.inject({ url: '/v1/recovery-actions', headers: ctx.user.headers })).json()
  t.same(
    own.items.map((r: { id: string }) => r.id),
    [mine.id]
  )
  t.equal(
    (await ctx.app.inject({ url: `/v1/recovery-actions/${theirs.id}`, headers: ctx.user.headers })).statusCode,
    404
  )
  t.equal(
    (await ctx.app.inject({ url: '/v1/recovery-actions?action_type=clear_cache', headers: ctx.admin.headers })).json()
      .items.length,
    1
  )

  const pending = (await ctx.app.inject({ url: '/v1/recovery-actions/pending', headers: ctx.admin.headers })).json()
  t.equal(pending.length, 2)
  const stats = (await ctx.app.inject({ url: '/v1/recovery-actions/statistics', headers: ctx.admin.headers })).json()
  t.same(stats.map((row: { action_type: string }) => row.action_type).sort(), ['clear_cache', 'restart_function'])
  t.match(stats[0], { total_count: 1, unfinished_count: 1 })
})
