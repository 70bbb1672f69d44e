// The closed loop and the approval workflow: pre and post metrics, verified resolving the
// anomaly, no improvement rolling back through the inverse action and escalating, no data
// inconclusive; risky actions waiting for approval, rejected ones never running, expired ones
// cancelled and escalated; the circuit breaker's transitions.
import t from 'tap'
import { action, actionRow, anomaly, health, setup } from './helpers.js'

const sleep = async (ms: number): Promise<void> => {
  await new Promise(resolve => setTimeout(resolve, ms))
}

t.test('verified: metrics improved after the action, so the anomaly is resolved', async t => {
  const ctx = await setup(t)
  await health(ctx.sql, { status: 'critical', latency_ms: 2400, error_rate: 12 })
  const anomalyId = await anomaly(ctx.sql)
  const first = await ctx.engine.runDue()
  const id = first.attempts[0]?.id as string
  t.match(await actionRow(ctx.sql, id), {
    execution_status: 'succeeded',
    verification_status: 'pending',
    pre_action_metrics: { status: 'critical', latency_ms: 2400, error_rate: 12 }
  })

  await health(ctx.sql, { status: 'healthy', latency_ms: 300, error_rate: 1 })
  const second = await ctx.engine.runDue()
  t.match(second.verifications, [{ id, status: 'verified' }])
  const row = await actionRow(ctx.sql, id)
  t.match(row, {
    verification_status: 'verified',
    post_action_metrics: { status: 'healthy', latency_ms: 300 },
    verified_at: Date
  })
  t.ok(
    (row.metrics_improvement_percentage as number) > 80,
    `improvement ${String(row.metrics_improvement_percentage)} %`
  )
  t.ok((row.recovery_effectiveness_score as number) > 80 && (row.recovery_effectiveness_score as number) <= 100)
  const [resolved] = await ctx.sql`select status, resolution_notes from anomaly_signals where id = ${anomalyId}`
  t.match(resolved, { status: 'resolved', resolution_notes: new RegExp(id) })
  t.match(
    await ctx.sql`select outcome from decision_audit_log where subject_id = ${id} and decision_type = 'verification'`,
    [{ outcome: 'verified' }]
  )
})

t.test('not improved: the action is rolled back through its inverse, linked, and escalated', async t => {
  const ctx = await setup(t, { approvalTypes: ['rollback_deployment'] })
  await health(ctx.sql, { status: 'unhealthy', cpu_usage_percent: 95 })
  await anomaly(ctx.sql, { anomaly_type: 'resource_exhaustion', severity: 'critical' })
  const first = await ctx.engine.runDue()
  const id = first.attempts[0]?.id as string
  t.match(first.attempts, [{ action_type: 'scale_up', status: 'succeeded' }])

  await health(ctx.sql, { status: 'unhealthy', cpu_usage_percent: 96 })
  const second = await ctx.engine.runDue()
  t.match(second.verifications, [{ id, status: 'not_improved', rollback_action_id: String }])
  const rollbackId = second.verifications[0]?.rollback_action_id as string
  t.match(
    second.attempts,
    [{ id: rollbackId, action_type: 'scale_down', status: 'succeeded' }],
    'the rollback ran in the same tick'
  )
  t.match(await actionRow(ctx.sql, id), {
    execution_status: 'rolled_back',
    rollback_action_id: rollbackId,
    rollback_reason: /not improved/,
    rollback_completed_at: Date,
    rollback_required: true
  })
  t.match(await actionRow(ctx.sql, rollbackId), {
    trigger_type: 'rollback',
    action_parameters: { delta: 1 },
    verification_status: null
  })
  t.same(
    ctx.endpoint.requests.map(r => (r.body as { action_type: string; parameters: unknown }).action_type),
    ['scale_up', 'scale_down']
  )
  t.match(await ctx.sql`select description from escalation_events where source_id = ${id}`, [
    { description: new RegExp(`rollback action ${rollbackId}`) }
  ])
})

t.test(
  'post metrics are measured after the action: an event measured before it but delivered after is not the "after"',
  async t => {
    const ctx = await setup(t)
    await health(ctx.sql, { status: 'critical', latency_ms: 2400, error_rate: 12 })
    await anomaly(ctx.sql)
    const id = (await ctx.engine.runDue()).attempts[0]?.id as string
    const started = (await actionRow(ctx.sql, id)).execution_started_at as Date
    await health(ctx.sql, {
      status: 'healthy',
      latency_ms: 300,
      error_rate: 1,
      measurement_window_end: new Date(started.getTime() - 60_000)
    })
    t.match(
      (await ctx.engine.runDue()).verifications,
      [{ id, status: 'inconclusive' }],
      'nothing measured since the action: no verdict from a late report of before'
    )
  }
)

t.test('inconclusive: no health reported since the action', async t => {
  const ctx = await setup(t)
  const id = await action(ctx.sql)
  await ctx.engine.runDue()
  const report = await ctx.engine.runDue()
  t.match(report.verifications, [{ id, status: 'inconclusive', improvement: null, score: null }])
  t.match(await actionRow(ctx.sql, id), { execution_status: 'succeeded', verification_status: 'inconclusive' })
})

t.test('approval: a risky automatic action waits; approved it runs, rejected it never does', async t => {
  const ctx = await setup(t)
  const first = await anomaly(ctx.sql, { anomaly_type: 'error_rate_increase', severity: 'critical' })
  const second = await anomaly(ctx.sql, {
    anomaly_type: 'error_rate_increase',
    severity: 'critical',
    source_component_name: 'other'
  })
  const report = await ctx.engine.runDue()
  t.equal(report.attempts.length, 0)
  const [waiting, other] = await Promise.all(
    [first, second].map(
      async a => (await ctx.sql`select * from recovery_actions where triggered_by_anomaly_id = ${a}`)[0]
    )
  )
  t.match(waiting, {
    action_type: 'rollback_deployment',
    execution_status: 'pending_approval',
    approval_status: 'pending',
    approval_expires_at: Date
  })
  t.ok(
    (waiting?.approval_expires_at as Date).getTime() > Date.now() + 50_000,
    'the window is HEAL_APPROVAL_TTL_SECONDS long'
  )

  const decide = async (id: string, decision: string) =>
    await ctx.app.inject({
      method: 'POST',
      url: `/v1/recovery-actions/${id}/${decision}`,
      headers: ctx.admin.headers,
      payload: { notes: `${decision} in test` }
    })
  t.equal((await decide(waiting?.id, 'approve')).statusCode, 200)
  t.equal((await decide(other?.id, 'reject')).statusCode, 200)
  const after = await ctx.engine.runDue()
  t.match(after.attempts, [{ id: waiting?.id, status: 'succeeded' }])
  t.match(await actionRow(ctx.sql, other?.id), { execution_status: 'rejected', attempt_number: 0 })
  t.equal(ctx.endpoint.effects.length, 1)
  const approvals =
    await ctx.sql`select outcome, actor from decision_audit_log where decision_type = 'approval' order by created_at`
  t.same(approvals.map(a => a.outcome).sort(), ['approved', 'rejected', 'requested', 'requested'])
})

t.test('an approval nobody gives expires: cancelled, marked expired, escalated', async t => {
  const ctx = await setup(t, { approvalTtlMs: 50 })
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/v1/recovery-actions',
    headers: ctx.service.headers,
    payload: { action_type: 'scale_down', target_component_name: 'checkout-api', action_parameters: { delta: 1 } }
  })
  const id = created.json().id as string
  t.match(created.json(), { execution_status: 'pending_approval', approval_expires_at: String })
  await sleep(80)
  const report = await ctx.engine.runDue()
  t.equal(report.approvals_expired, 1)
  t.match(await actionRow(ctx.sql, id), {
    execution_status: 'cancelled',
    approval_status: 'expired',
    execution_error_code: 'APPROVAL_EXPIRED'
  })
  t.match(await ctx.sql`select title from escalation_events where source_id = ${id}`, [{ title: /never approved/ }])
  t.equal(ctx.endpoint.requests.length, 0)
})

t.test(
  'circuit breaker: open, half open after the cooldown, open again on bad health, closed on recovery; rollback closes it',
  async t => {
    const ctx = await setup(t)
    // A breaker of an action without an organization is the platform's: admins read it.
    const get = async () =>
      (
        await ctx.app.inject({
          url: '/v1/circuit-breakers/checkout-api?organization_id=platform',
          headers: ctx.admin.headers
        })
      ).json()
    const id = await action(ctx.sql, {
      action_type: 'circuit_breaker',
      action_parameters: { cooldown_seconds: 0.1, reason: 'error storm' }
    })
    await ctx.engine.runDue()
    t.match(await get(), {
      state: 'open',
      opened_at: String,
      next_probe_at: String,
      reason: 'error storm',
      last_action_id: id,
      trip_count: 1
    })
    t.equal(ctx.endpoint.requests.length, 0, "the breaker is the service's own state")

    await sleep(120)
    t.match((await ctx.engine.runDue()).breakers, [{ component_name: 'checkout-api', from: 'open', to: 'half_open' }])
    t.match(await get(), { state: 'half_open', next_probe_at: null })
    await health(ctx.sql, { status: 'critical' })
    await ctx.engine.runDue()
    t.match(await get(), { state: 'open', reason: /critical while half open/ })
    await sleep(120)
    await ctx.engine.runDue()
    await health(ctx.sql, { status: 'healthy' })
    await ctx.engine.runDue()
    t.match(await get(), { state: 'closed', closed_at: String })

    await ctx.sql`update recovery_actions set verification_status = null where id = ${id}`
    const again = await action(ctx.sql, {
      action_type: 'circuit_breaker',
      action_parameters: { cooldown_seconds: 600 }
    })
    await ctx.engine.runDue()
    t.match(await get(), { state: 'open' })
    const rolled = await ctx.app.inject({
      method: 'POST',
      url: `/v1/recovery-actions/${again}/rollback`,
      headers: ctx.admin.headers,
      payload: { reason: 'false alarm' }
    })
    t.equal(rolled.statusCode, 201)
    t.match(rolled.json(), {
      action: { execution_status: 'rolled_back', rollback_reason: 'false alarm' },
      rollback_action: { action_type: 'circuit_breaker', trigger_type: 'rollback', execution_status: 'succeeded' }
    })
    t.match(await get(), { state: 'closed' })
  }
)
