// The engine acting for real: the mapped action delivered signed with its Idempotency-Key,
// backoff between retries growing, the time limit per attempt, retries surviving a restart,
// NO_TARGET escalating, a dry run that stores and sends nothing, and old evidence left to people.
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { testConfig } from '../../helpers/app.js'
import { action, actionRow, anomaly, engineFor, register, setup, until } from './helpers.js'

t.test('an open anomaly is mapped, delivered signed with the action id as Idempotency-Key, and audited', async t => {
  const ctx = await setup(t)
  const anomalyId = await anomaly(ctx.sql)
  const report = await ctx.engine.runDue()

  t.match(report.decisions, [
    { anomaly_id: anomalyId, action_type: 'restart_function', rule: 'latency_spike:critical', held_by: null }
  ])
  const actionId = report.decisions[0]?.action_id as string
  t.match(report.attempts, [{ id: actionId, status: 'succeeded' }])
  t.equal(ctx.endpoint.requests.length, 1)
  t.match(ctx.endpoint.requests[0], {
    signatureValid: true,
    idempotencyKey: actionId,
    attempt: 1,
    body: { action_id: actionId, action_type: 'restart_function', component_name: 'checkout-api', dry_run: false }
  })
  t.match(await actionRow(ctx.sql, actionId), {
    execution_status: 'succeeded',
    trigger_type: 'automatic',
    triggered_by_anomaly_id: anomalyId,
    success: true,
    attempt_number: 1,
    lease_owner: null,
    verification_status: 'pending'
  })
  const [linked] = await ctx.sql`select triggered_recovery_action_id from anomaly_signals where id = ${anomalyId}`
  t.equal(linked?.triggered_recovery_action_id, actionId)
  const audited =
    await ctx.sql`select decision_type, outcome from decision_audit_log where subject_id = ${actionId} order by created_at, decision_type`
  t.same(audited.map(row => row.decision_type).sort(), ['action_chosen', 'attempt'])

  const again = await ctx.engine.runDue()
  t.same(again.decisions, [], 'an anomaly gets one automatic action')
  t.equal(ctx.endpoint.requests.length, 1)
})

t.test('an anomaly whose latest evidence is old is left to a person, who can still heal it by id', async t => {
  const ctx = await setup(t)
  await register(ctx, 'payments-api', ctx.endpoint.url)
  const ageLimitMinutes = ctx.healing.maxEvidenceAgeMs / 60_000
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000)
  // Backfilled history ending mid-incident: detected and last seen past the limit.
  const backfilled = await anomaly(ctx.sql, {
    detection_timestamp: minutesAgo(ageLimitMinutes + 120),
    last_observed_at: minutesAgo(ageLimitMinutes + 5)
  })
  // Long under way, and seen again just now: its evidence is fresh.
  const ongoing = await anomaly(ctx.sql, {
    source_component_name: 'payments-api',
    detection_timestamp: minutesAgo(ageLimitMinutes + 120),
    last_observed_at: minutesAgo(1)
  })
  // Reported without a last observation: its detection is its evidence.
  const reportedLate = await anomaly(ctx.sql, {
    anomaly_type: 'error_rate_increase',
    detection_timestamp: minutesAgo(ageLimitMinutes + 1)
  })

  const report = await ctx.engine.runDue()
  t.same(
    report.decisions.map(decision => decision.anomaly_id),
    [ongoing],
    'only the anomaly seen within the limit is acted on'
  )
  t.equal(ctx.endpoint.effects.length, 1)
  const waiting = await ctx.sql`
    select id from anomaly_signals where status = 'open' and triggered_recovery_action_id is null order by id`
  t.same(waiting.map(row => row.id).sort(), [backfilled, reportedLate].sort(), 'the others stay open, untouched')

  const asked = await ctx.app.inject({
    method: 'POST',
    url: '/v1/self-healing/run',
    headers: ctx.service.headers,
    payload: { anomaly_id: backfilled }
  })
  t.match(asked.json(), { decisions: [{ anomaly_id: backfilled }], attempts: [{ status: 'succeeded' }] })
  t.equal(ctx.endpoint.effects.length, 2, 'asked for by id, the old one is healed')
})

t.test('a dry run preview stores nothing and sends nothing, and says what would be done', async t => {
  const ctx = await setup(t)
  const anomalyId = await anomaly(ctx.sql)
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/self-healing/run',
    headers: ctx.service.headers,
    payload: { dry_run: true }
  })
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    dry_run: true,
    attempts: [],
    decisions: [
      {
        anomaly_id: anomalyId,
        action_type: 'restart_function',
        action_id: null,
        simulation: /^dry run: would POST restart_function/
      }
    ]
  })
  t.equal(ctx.endpoint.requests.length, 0)
  t.same(await ctx.sql`select id from recovery_actions`, [])
  t.same(await ctx.sql`select id from escalation_events`, [])
  t.same(await ctx.sql`select id from decision_audit_log`, [])

  const real = await ctx.app.inject({
    method: 'POST',
    url: '/v1/self-healing/run',
    headers: ctx.service.headers,
    payload: { anomaly_id: anomalyId }
  })
  t.match(real.json(), { dry_run: false, attempts: [{ status: 'succeeded' }] })
  t.equal(ctx.endpoint.effects.length, 1)
})

t.test('an action marked dry_run is simulated: status dry_run, result simulated, nothing sent', async t => {
  const ctx = await setup(t)
  const id = await action(ctx.sql, { dry_run: true })
  await ctx.engine.runDue()
  t.match(await actionRow(ctx.sql, id), {
    execution_status: 'dry_run',
    execution_result: { simulated: true, dry_run: true },
    verification_status: null
  })
  t.equal(ctx.endpoint.requests.length, 0)
})

t.test(
  "retries back off exponentially, each delay at least twice the last one's minimum, with the same Idempotency-Key",
  async t => {
    const ctx = await setup(t)
    ctx.endpoint.script({ status: 503 }, { status: 503 }, { status: 503 }, { status: 200 })
    const id = await action(ctx.sql, {
      max_attempts: 4,
      retry_policy: { base_delay_seconds: 0.06, factor: 2, max_delay_seconds: 60, jitter: 0 }
    })
    const done = await until(async () => {
      await ctx.engine.runDue()
      const row = await actionRow(ctx.sql, id)
      return row.execution_status === 'succeeded' ? row : undefined
    })
    t.equal(done.attempt_number, 4)
    t.same(
      ctx.endpoint.requests.map(r => r.attempt),
      [1, 2, 3, 4]
    )
    t.same(new Set(ctx.endpoint.requests.map(r => r.idempotencyKey)), new Set([id]))
    const arrivals = ctx.endpoint.requests.map(request => request.receivedAt)
    const gaps = arrivals.slice(1).map((time, i) => time - (arrivals[i] as number))
    // Only the minimum wait is the engine's to keep: on a busy machine a delay can overrun by more
    // than the doubling, so a later delay may come out shorter than an overrun earlier one. The
    // minimums (60, 120, 240 ms) are what tell exponential backoff from a fixed or linear one.
    t.ok((gaps[0] as number) >= 55, `first delay ${gaps[0]} ms >= 60 ms base`)
    t.ok((gaps[1] as number) >= 115, `second delay ${gaps[1]} ms >= 120 ms, doubled`)
    t.ok((gaps[2] as number) >= 235, `third delay ${gaps[2]} ms >= 240 ms, doubled again`)
  }
)

t.test('a hung control endpoint is cut off at timeout_seconds and reported as TIMEOUT, then retried', async t => {
  const ctx = await setup(t)
  ctx.endpoint.script('hang')
  const id = await action(ctx.sql, { timeout_seconds: 1 })
  const started = Date.now()
  const report = await ctx.engine.runDue()
  t.ok(Date.now() - started < 3000, 'the attempt ended at its limit')
  t.match(report.attempts, [{ id, error_code: 'TIMEOUT' }])
  t.match(await actionRow(ctx.sql, id), {
    execution_status: 'retry_scheduled',
    execution_error_code: 'TIMEOUT',
    next_retry_at: Date
  })
})

t.test('a retry scheduled before a restart is run by the next instance on the same database', async t => {
  const ctx = await setup(t)
  ctx.endpoint.script({ status: 500 })
  // Long enough that the first runDue cannot reach the retry itself on a starved machine.
  const id = await action(ctx.sql, { retry_policy: { base_delay_seconds: 2, jitter: 0 } })
  await ctx.engine.runDue()
  const scheduled = await actionRow(ctx.sql, id)
  t.match(scheduled, { execution_status: 'retry_scheduled', attempt_number: 1 })
  await ctx.app.close()

  const restarted = await buildApp(testConfig({ databaseUrl: ctx.databaseUrl, healing: ctx.healing }), {
    logger: false
  })
  t.teardown(async () => {
    await restarted.close()
  })
  const engine = engineFor(restarted.db, ctx.healing)
  const row = await until(async () => {
    await engine.runDue()
    const current = await actionRow(ctx.sql, id)
    return current.execution_status === 'succeeded' ? current : undefined
  }, 15_000)
  t.equal(row.attempt_number, 2)
  t.ok(
    (ctx.endpoint.requests[1]?.receivedAt ?? 0) >= (scheduled.next_retry_at as Date).getTime() - 5,
    'not before next_retry_at'
  )
  t.same(
    ctx.endpoint.requests.map(r => r.attempt),
    [1, 2]
  )
  t.same(ctx.endpoint.effects, [id])
})

t.test('an action whose component has no control target fails with NO_TARGET at once and escalates', async t => {
  const ctx = await setup(t)
  const id = await action(ctx.sql, { target_component_name: 'unregistered' })
  await ctx.engine.runDue()
  t.match(await actionRow(ctx.sql, id), {
    execution_status: 'failed',
    execution_error_code: 'NO_TARGET',
    attempt_number: 1
  })
  const [escalation] = await ctx.sql`select * from escalation_events where source_id = ${id}`
  t.match(escalation, { source_type: 'recovery_action', status: 'open', description: /NO_TARGET/ })
})
