// A runbook run across two real server processes, one SIGKILLed mid-run. Both run the heal job
// every second. The runbook has three steps: the first's verification fails (latency stays
// high), the second fixes it, the third must never run. The instance that claims the second
// step's action while the control endpoint holds its delivery is killed; the survivor takes the
// action over once its lease lapses and finishes the run. The control endpoint's POSTs show each
// step acted on once (the lost attempt's delivery and its retry carry the same Idempotency-Key,
// so the endpoint acts once), and the run, its steps and the audit trail show one outcome each.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Sql } from '../../src/db/client.js'
import { sealedSecret } from '../helpers/app.js'
import { HEALING_ONLY, startInstances, waitFor } from '../helpers/cluster.js'
import { startControlEndpoint } from '../helpers/control-endpoint.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

const SECRET = 'runbook-instances-secret-0123456789'
const COMPONENT = 'checkout-api'

const RUNBOOK = {
  name: 'checkout-latency',
  trigger: { anomaly_types: ['latency_spike'], components: [{ name: 'component_name', value: COMPONENT }] },
  steps: [
    { name: 'scale out', action: 'scale_up', verify: { metric: 'latency_p95_ms', below: 500, within: '3s' } },
    {
      name: 'restart',
      action: 'restart_function',
      timeout: '3s',
      verify: { metric: 'latency_p95_ms', below: 500, within: '2m' }
    },
    { name: 'never', action: 'scale_up', parameters: { delta: 5 }, on_failure: 'escalate' }
  ]
}

async function latency(sql: Sql, org: string, value: number): Promise<void> {
  await sql`insert into system_health_events (organization_id, component_type, component_name, status, latency_p95_ms)
    values (${org}, 'service', ${COMPONENT}, ${value < 500 ? 'healthy' : 'degraded'}, ${value})`
}

async function stepAction(sql: Sql, runId: string, step: number): Promise<Record<string, unknown> | undefined> {
  const [row] = await sql`select * from recovery_actions where runbook_run_id = ${runId} and runbook_step = ${step}`
  return row
}

t.test('a runbook run survives the instance running it being killed; each step acts once', async t => {
  const { url } = await freshDatabase(t)
  const sql = ownerSql(t, url)
  const org = randomUUID()
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  // Step 1's delivery is answered; step 2's first delivery is held until its sender is gone.
  endpoint.script({ status: 200, body: '{"ok":true}' }, 'hang')
  await sql`insert into components (organization_id, component_name, component_type, webhook_url, webhook_secret)
    values (${org}, ${COMPONENT}, 'service', ${endpoint.url}, ${sealedSecret(SECRET)})`
  await sql`insert into runbooks (organization_id, name, version, document) values (${org}, ${RUNBOOK.name}, 1, ${sql.json(RUNBOOK)})`
  const instances = await startInstances(t, url, 2, { ...HEALING_ONLY, HEAL_LEASE_GRACE_SECONDS: '1' })

  await latency(sql, org, 900)
  const [signal] =
    await sql`insert into anomaly_signals (organization_id, anomaly_type, severity, source_type, source_component_name)
    values (${org}, 'latency_spike', 'critical', 'system_health_events', ${COMPONENT}) returning id`
  const anomalyId = signal?.id as string

  const run = await waitFor(
    async () => (await sql`select * from runbook_runs where anomaly_id = ${anomalyId}`)[0],
    15_000,
    'the run started'
  )
  t.match(run, { runbook_name: 'checkout-latency', runbook_version: 1, status: 'running' })
  const runId = run.id as string

  // Step 1 acts, does not verify within 3 s, and step 2's delivery arrives and is held.
  await waitFor(() => endpoint.requests.length === 2, 30_000, "step 2's delivery arrived")
  const held = await stepAction(sql, runId, 1)
  t.match(held, { action_type: 'restart_function', execution_status: 'running', attempt_number: 1, timeout_seconds: 3 })
  const holder = instances.find(instance => String(held?.lease_owner).split(':')[1] === String(instance.pid))
  if (holder === undefined) throw new Error(`no instance holds step 2: ${String(held?.lease_owner)}`)
  holder.server.child.kill('SIGKILL')
  await holder.server.exit
  t.equal(holder.server.child.signalCode, 'SIGKILL', `instance ${holder.name}, holding step 2, was killed mid-run`)

  const restarted = await waitFor(
    async () => {
      const row = await stepAction(sql, runId, 1)
      return row?.execution_status === 'succeeded' ? row : undefined
    },
    30_000,
    'step 2 taken over and done'
  )
  t.match(restarted, { attempt_number: 2, execution_error_code: 'LEASE_EXPIRED', success: true })
  t.ok(
    (restarted.last_attempt_at as Date).getTime() >= (held?.lease_expires_at as Date).getTime(),
    'taken over after the lease lapsed, not before'
  )
  // The restart helped.
  await latency(sql, org, 180)
  const done = await waitFor(
    async () => {
      const [row] = await sql`select * from runbook_runs where id = ${runId}`
      return row?.status === 'succeeded' ? row : undefined
    },
    30_000,
    'the run succeeded'
  )
  t.match(done, { current_step: 1, outcome: /step 2 \(restart_function\) verified/ })

  const step1 = (await stepAction(sql, runId, 0)) as Record<string, unknown>
  const keys = endpoint.requests.map(request => request.idempotencyKey)
  t.same(
    keys,
    [step1.id, restarted.id, restarted.id],
    'POSTs: step 1 once; step 2 twice with one key (the lost attempt and its retry); step 3 never'
  )
  t.same(
    endpoint.requests.map(request => request.attempt),
    [1, 1, 2]
  )
  t.same(endpoint.effects, [step1.id, restarted.id], 'the endpoint acted once per step')
  t.equal(await stepAction(sql, runId, 2), undefined, 'step 3 has no action')

  const steps =
    await sql`select step_index, status, action_id, verification from runbook_run_steps where run_id = ${runId} order by step_index`
  t.match(steps, [
    { step_index: 0, status: 'failed', action_id: step1.id, verification: { passed: false } },
    { step_index: 1, status: 'passed', action_id: restarted.id, verification: { passed: true, observed: 180 } }
  ])
  const attempts = await sql`select subject_id, outcome from decision_audit_log
    where decision_type = 'attempt' and subject_id in (${step1.id as string}, ${restarted.id as string}) order by created_at`
  t.same(
    attempts.map(row => [row.subject_id, row.outcome]),
    [
      [step1.id, 'succeeded'],
      [restarted.id, 'succeeded']
    ],
    'one attempt outcome written per step'
  )
  const verifications = await sql`select outcome from decision_audit_log
    where decision_type = 'verification' and input ->> 'runbook_run_id' = ${runId} order by created_at`
  t.same(
    verifications.map(row => row.outcome),
    ['not_improved', 'verified'],
    'each step judged once'
  )
  const [anomaly] = await sql`select status from anomaly_signals where id = ${anomalyId}`
  t.equal(anomaly?.status, 'resolved')
})
