// Automation that never loops: each guard holds the engine's own action and escalates it with
// its reason (the escalation webhook receives it), explicit actions are not held, and the kill
// switch (off, dry_run) stops or simulates automatic actions.
import t, { type Test } from 'tap'
import { holdFor } from '../../../src/services/healing/guards.js'
import { startControlEndpoint } from '../../helpers/control-endpoint.js'
import { action, actionRow, anomaly, setup } from './helpers.js'

const LIMITS = { cooldownMs: 60_000, maxActionsPerComponentPerHour: 3, budgetPerMinute: 5 }
const QUIET = { same_type_in_cooldown: 0, component_last_hour: 0, all_last_minute: 0 }

t.test('holdFor: each guard on its own, in order', async t => {
  const input = {
    mode: 'auto' as const,
    flapping: false,
    componentName: 'api',
    actionType: 'clear_cache',
    recent: QUIET
  }
  t.equal(holdFor(input, LIMITS), null)
  t.equal(holdFor({ ...input, mode: 'off' }, LIMITS)?.guard, 'mode_off')
  t.equal(holdFor({ ...input, mode: 'dry_run' }, LIMITS), null, 'dry_run simulates, it does not hold')
  t.equal(holdFor({ ...input, flapping: true }, LIMITS)?.guard, 'flapping')
  t.equal(holdFor({ ...input, recent: { ...QUIET, same_type_in_cooldown: 1 } }, LIMITS)?.guard, 'cooldown')
  t.equal(holdFor({ ...input, recent: { ...QUIET, component_last_hour: 3 } }, LIMITS)?.guard, 'component_cap')
  t.equal(holdFor({ ...input, recent: { ...QUIET, component_last_hour: 2 } }, LIMITS), null)
  t.equal(holdFor({ ...input, recent: { ...QUIET, all_last_minute: 5 } }, LIMITS)?.guard, 'global_budget')
})

async function guarded(t: Test, limits: Record<string, number> = {}) {
  const pager = await startControlEndpoint(t)
  const ctx = await setup(t, { ...LIMITS, ...limits, escalationWebhookUrl: pager.url })
  return { ...ctx, pager }
}

async function heldAs(
  t: Test,
  ctx: Awaited<ReturnType<typeof guarded>>,
  anomalyId: string,
  guard: string,
  reason: RegExp
): Promise<void> {
  const [held] = await ctx.sql`select * from recovery_actions where triggered_by_anomaly_id = ${anomalyId}`
  t.match(held, {
    execution_status: 'cancelled',
    trigger_type: 'automatic',
    execution_error_code: `HELD_${guard.toUpperCase()}`,
    execution_output: reason,
    notifications_sent: [{ channel: 'webhook', ok: true }]
  })
  const [escalation] = await ctx.sql`select * from escalation_events where source_id = ${held?.id}`
  t.match(escalation, { description: reason })
  t.ok(
    ctx.pager.requests.some(
      r =>
        (r.body as { reason?: string }).reason?.match(reason) !== null &&
        (r.body as { action_id?: string }).action_id === held?.id
    ),
    'the escalation webhook was told why'
  )
  const [audit] =
    await ctx.sql`select decision_type, outcome from decision_audit_log where subject_id = ${held?.id} and decision_type = 'guard_held'`
  t.match(audit, { outcome: `held_${guard}` })
  const [linked] = await ctx.sql`select escalation_event_id from anomaly_signals where id = ${anomalyId}`
  t.equal(linked?.escalation_event_id, escalation?.id)
}

t.test('a flapping anomaly gets no automatic action: held and escalated', async t => {
  const ctx = await guarded(t)
  const id = await anomaly(ctx.sql, { flapping: true })
  const report = await ctx.engine.runDue()
  t.match(report.decisions, [{ anomaly_id: id, held_by: 'flapping' }])
  t.equal(ctx.endpoint.requests.length, 0)
  await heldAs(t, ctx, id, 'flapping', /flapping/)
})

t.test('cooldown per component and action type holds the second action of that type, not another type', async t => {
  const ctx = await guarded(t)
  await anomaly(ctx.sql)
  await ctx.engine.runDue()
  t.equal(ctx.endpoint.effects.length, 1)
  await ctx.sql`update anomaly_signals set status = 'resolved'`
  const second = await anomaly(ctx.sql)
  const third = await anomaly(ctx.sql, { anomaly_type: 'resource_exhaustion', severity: 'critical' })
  const report = await ctx.engine.runDue()
  t.match(
    report.decisions.find(d => d.anomaly_id === third),
    { action_type: 'scale_up', held_by: null }
  )
  t.equal(ctx.endpoint.effects.length, 2, 'the other type ran')
  await heldAs(t, ctx, second, 'cooldown', /within the cooldown/)
})

t.test('the cap per component per hour holds once it is reached', async t => {
  const ctx = await guarded(t, { maxActionsPerComponentPerHour: 2, cooldownMs: 0 })
  await anomaly(ctx.sql, { anomaly_type: 'a_one' })
  await anomaly(ctx.sql, { anomaly_type: 'a_two' })
  const capped = await anomaly(ctx.sql, { anomaly_type: 'a_three' })
  await ctx.engine.runDue()
  await heldAs(t, ctx, capped, 'component_cap', /2 automatic actions in the last hour \(cap 2\)/)
})

t.test('the global budget per minute holds across components', async t => {
  const ctx = await guarded(t, { budgetPerMinute: 2, cooldownMs: 0 })
  await anomaly(ctx.sql, { source_component_name: 'one' })
  await anomaly(ctx.sql, { source_component_name: 'two' })
  const over = await anomaly(ctx.sql, { source_component_name: 'three' })
  await ctx.engine.runDue()
  await heldAs(t, ctx, over, 'global_budget', /budget 2/)
})

t.test('guards hold only what the engine decides: explicit actions run past them', async t => {
  const ctx = await guarded(t, { budgetPerMinute: 1, cooldownMs: 3_600_000 })
  await anomaly(ctx.sql)
  await ctx.engine.runDue()
  const explicit = await Promise.all([1, 2, 3].map(async () => await action(ctx.sql)))
  await ctx.engine.runDue()
  for (const id of explicit) t.match(await actionRow(ctx.sql, id), { execution_status: 'succeeded' })
  t.equal(ctx.endpoint.effects.length, 4)
})

t.test(
  'kill switch: off holds and escalates new anomalies and parks queued automatic actions; dry_run simulates; auto resumes',
  async t => {
    const ctx = await guarded(t)
    const put = async (mode: string) =>
      await ctx.app.inject({
        method: 'PUT',
        url: '/v1/self-healing/mode',
        headers: ctx.admin.headers,
        payload: { mode, reason: `test ${mode}` }
      })
    // An automatic action queued before the switch (its anomaly already decided).
    const queuedAnomaly = await anomaly(ctx.sql, { source_component_name: 'queued' })
    const queued = await action(ctx.sql, { trigger_type: 'automatic', triggered_by_anomaly_id: queuedAnomaly })
    const manual = await action(ctx.sql)

    t.equal((await put('off')).statusCode, 200)
    const off = await anomaly(ctx.sql)
    const report = await ctx.engine.runDue()
    t.equal(report.mode, 'off')
    await heldAs(t, ctx, off, 'mode_off', /switched off/)
    t.match(await actionRow(ctx.sql, queued), { execution_status: 'pending' }, 'queued automatic action waits')
    t.match(await actionRow(ctx.sql, manual), { execution_status: 'succeeded' }, 'explicit action still runs')

    t.equal((await put('dry_run')).statusCode, 200)
    const simulated = await anomaly(ctx.sql, {
      source_component_name: 'checkout-api',
      anomaly_type: 'resource_exhaustion'
    })
    await ctx.engine.runDue()
    const [dry] = await ctx.sql`select * from recovery_actions where triggered_by_anomaly_id = ${simulated}`
    t.match(dry, { dry_run: true, execution_status: 'dry_run', execution_result: { simulated: true } })
    t.match(
      await actionRow(ctx.sql, queued),
      { execution_status: 'dry_run' },
      'queued automatic action simulated in dry_run mode'
    )
    t.equal(ctx.endpoint.effects.length, 1, 'only the explicit action reached the component')

    t.equal((await put('auto')).statusCode, 200)
    await ctx.sql`update anomaly_signals set status = 'resolved' where id = ${off}`
    await anomaly(ctx.sql, { source_component_name: 'checkout-api', anomaly_type: 'latency_spike', severity: 'high' })
    await ctx.engine.runDue()
    t.equal(ctx.endpoint.effects.length, 2, 'acting again')
    const audits =
      await ctx.sql`select outcome, actor from decision_audit_log where decision_type = 'mode_change' order by created_at`
    t.same(
      audits.map(a => a.outcome),
      ['off', 'dry_run', 'auto']
    )
    t.ok(audits.every(a => a.actor === ctx.admin.id))
  }
)
