// The healing engine running runbooks: it prefers an organization's matching runbook over the
// mapping, walks its steps through real recovery actions delivered to a real control endpoint,
// judges each step by the component's health events, and goes on, stops, escalates or rolls back
// as the step says. Another organization's runbook never acts on my signal; dry_run mode and the
// preview execute nothing.
import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import type { Sql } from '../../../src/db/client.js'
import type { HealingEngine } from '../../../src/services/healing/engine.js'
import { buildTestApp, tokensFor, type TestApp } from '../../helpers/app.js'
import { startControlEndpoint, type ControlEndpoint } from '../../helpers/control-endpoint.js'
import { ownerSql } from '../../helpers/database.js'
import { anomaly, engineFor, fastHealing, SECRET, until } from '../healing/helpers.js'

interface Setup extends TestApp {
  sql: Sql
  org: string
  endpoint: ControlEndpoint
  engine: HealingEngine
}

async function setup(t: Test): Promise<Setup> {
  const healing = fastHealing()
  const ctx = await buildTestApp(t, { healing })
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  const registered = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/checkout-api',
    headers: ctx.admin.headers,
    payload: { component_type: 'service', webhook_url: endpoint.url, webhook_secret: SECRET }
  })
  if (registered.statusCode !== 200) throw new Error(registered.body)
  return {
    ...ctx,
    sql: ownerSql(t, ctx.databaseUrl),
    org: ctx.admin.organizationId,
    endpoint,
    engine: engineFor(ctx.app.db, healing)
  }
}

const THREE_STEPS = {
  name: 'checkout-latency',
  trigger: { anomaly_types: ['latency_spike'], components: [{ name: 'component_name', value: 'checkout-*' }] },
  steps: [
    {
      name: 'scale out',
      action: 'scale_up',
      parameters: { delta: 2 },
      verify: { metric: 'latency_p95_ms', below: 500, within: '2s' }
    },
    { name: 'restart', action: 'restart_function', verify: { metric: 'latency_p95_ms', below: 500, within: '1m' } },
    { name: 'last resort', action: 'scale_down', on_failure: 'escalate' }
  ]
}

async function store(ctx: TestApp, document: unknown, admin = ctx.admin): Promise<void> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks',
    headers: admin.headers,
    payload: document as object
  })
  if (res.statusCode !== 201) throw new Error(res.body)
}

async function slow(ctx: Setup, latency: number): Promise<void> {
  await ctx.sql`insert into system_health_events (organization_id, component_type, component_name, status, latency_p95_ms)
    values (${ctx.org}, 'service', 'checkout-api', ${latency < 500 ? 'healthy' : 'degraded'}, ${latency})`
}

/** Ticks the engine until `probe` holds. */
async function tickUntil<T>(ctx: Setup, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  return await until(async () => {
    await ctx.engine.runDue()
    return await probe()
  }, timeoutMs)
}

const delivered = (ctx: Setup, actionType: string) =>
  ctx.endpoint.requests.filter(request => (request.body as { action_type?: string }).action_type === actionType)

t.test('three steps: the first does not verify, the second fixes it, the third never runs', async t => {
  const ctx = await setup(t)
  await store(ctx, THREE_STEPS)
  await slow(ctx, 900)
  const anomalyId = await anomaly(ctx.sql, { organization_id: ctx.org, source_component_name: 'checkout-api' })

  const first = await ctx.engine.runDue()
  t.match(
    first.decisions,
    [{ anomaly_id: anomalyId, rule: 'runbook:checkout-latency@1', action_type: 'scale_up', held_by: null }],
    'the runbook, not the mapping (restart_function for a critical latency spike), decides'
  )
  t.match(first.attempts, [{ action_type: 'scale_up', status: 'succeeded' }], 'step 1 ran in the same tick')
  const [run] = await ctx.sql`select * from runbook_runs where anomaly_id = ${anomalyId}`
  t.match(run, { status: 'running', current_step: 0, runbook_version: 1, organization_id: ctx.org })

  // Still slow: step 1's window passes and the run goes on to step 2.
  await tickUntil(ctx, async () => delivered(ctx, 'restart_function').length === 1)
  await slow(ctx, 180)
  const done = await tickUntil(ctx, async () => {
    const [row] = await ctx.sql`select * from runbook_runs where id = ${run?.id}`
    return row?.status === 'succeeded' ? row : undefined
  })
  t.match(done, { current_step: 1, outcome: /step 2 \(restart_function\) verified: latency_p95_ms was 180, below 500/ })

  t.same(
    ctx.endpoint.requests.map(request => (request.body as { action_type: string }).action_type),
    ['scale_up', 'restart_function'],
    'each step delivered once, step 3 never'
  )
  t.match(delivered(ctx, 'scale_up')[0]?.body, { parameters: { delta: 2 } }, "the step's parameters")

  const res = await ctx.app.inject({ url: `/v1/runbook-runs/${run?.id}`, headers: ctx.admin.headers })
  t.equal(res.statusCode, 200)
  const detail = res.json()
  t.match(detail, { status: 'succeeded', runbook_name: 'checkout-latency', anomaly_id: anomalyId })
  t.match(detail.steps, [
    {
      step_index: 0,
      name: 'scale out',
      status: 'failed',
      action_status: 'succeeded',
      verification: { metric: 'latency_p95_ms', condition: 'below 500', passed: false, observed: null }
    },
    {
      step_index: 1,
      status: 'passed',
      action_status: 'succeeded',
      verification: { passed: true, observed: 180 }
    }
  ])
  t.equal(detail.steps.length, 2)
  const actions =
    await ctx.sql`select id, action_type, runbook_run_id, runbook_step, verification_status from recovery_actions order by runbook_step`
  t.match(
    actions,
    [
      { action_type: 'scale_up', runbook_run_id: run?.id, runbook_step: 0, verification_status: null },
      { action_type: 'restart_function', runbook_run_id: run?.id, runbook_step: 1, verification_status: null }
    ],
    "the actions carry their run and step; the run's verification replaces the engine's own"
  )
  const action = await ctx.app.inject({ url: `/v1/recovery-actions/${actions[1]?.id}`, headers: ctx.admin.headers })
  t.match(action.json(), { runbook_run_id: run?.id, runbook_step: 1 }, 'and show them through the API')
  const [signal] = await ctx.sql`select status, resolution_notes from anomaly_signals where id = ${anomalyId}`
  t.match(signal, { status: 'resolved', resolution_notes: /runbook checkout-latency v1/ })

  const list = await ctx.app.inject({ url: '/v1/runbook-runs?status=succeeded', headers: ctx.user.headers })
  t.same(
    list.json().items.map((item: { id: string }) => item.id),
    [run?.id]
  )
  const stranger = await tokensFor(randomUUID())
  t.equal(
    (await ctx.app.inject({ url: `/v1/runbook-runs/${run?.id}`, headers: stranger.user.headers })).statusCode,
    404
  )
  t.same((await ctx.app.inject({ url: '/v1/runbook-runs', headers: stranger.admin.headers })).json().items, [])
})

t.test("another organization's runbook never acts on my signal; without mine the mapping decides", async t => {
  const ctx = await setup(t)
  const other = await tokensFor(randomUUID())
  await store(ctx, THREE_STEPS, other.admin)
  const anomalyId = await anomaly(ctx.sql, { organization_id: ctx.org, source_component_name: 'checkout-api' })
  const report = await ctx.engine.runDue()
  t.match(report.decisions, [
    { anomaly_id: anomalyId, rule: 'latency_spike:critical', action_type: 'restart_function' }
  ])
  t.same(await ctx.sql`select id from runbook_runs`, [], 'no run')

  const disabled = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks',
    headers: ctx.admin.headers,
    payload: { ...THREE_STEPS, trigger: { anomaly_types: ['error_rate_increase'] } }
  })
  t.equal(disabled.statusCode, 201)
  const second = await anomaly(ctx.sql, {
    organization_id: ctx.org,
    source_component_name: 'checkout-worker',
    severity: 'high'
  })
  const again = await ctx.engine.runDue()
  t.match(
    again.decisions,
    [{ anomaly_id: second, rule: 'latency_spike:high' }],
    'a trigger that does not cover it leaves it to the mapping'
  )
})

t.test('a deleted runbook starts nothing; a failed last step escalates', async t => {
  const ctx = await setup(t)
  await store(ctx, THREE_STEPS)
  await ctx.app.inject({ method: 'DELETE', url: '/v1/runbooks/checkout-latency', headers: ctx.admin.headers })
  const ignored = await anomaly(ctx.sql, { organization_id: ctx.org, source_component_name: 'checkout-api' })
  t.match((await ctx.engine.runDue()).decisions, [{ anomaly_id: ignored, rule: 'latency_spike:critical' }])

  await store(ctx, {
    name: 'one-shot',
    trigger: { anomaly_types: ['resource_exhaustion'] },
    steps: [
      {
        action: 'scale_up',
        verify: { metric: 'latency_p95_ms', below: 500, within: '1s' },
        on_failure: 'escalate'
      }
    ]
  })
  const anomalyId = await anomaly(ctx.sql, {
    organization_id: ctx.org,
    source_component_name: 'checkout-api',
    anomaly_type: 'resource_exhaustion'
  })
  const run = await tickUntil(ctx, async () => {
    const [row] = await ctx.sql`select * from runbook_runs where anomaly_id = ${anomalyId} and status = 'escalated'`
    return row
  })
  t.match(run, {
    outcome: /step 1 \(scale_up\) failed: not verified within 1s: no health event measured yet; escalated/
  })
  const escalations =
    await ctx.sql`select title, organization_id from escalation_events where title like 'runbook one-shot%'`
  t.match(escalations, [{ title: 'runbook one-shot on checkout-api needs a person', organization_id: ctx.org }])
})

t.test('a step whose verification fails with on_failure rollback undoes the earlier steps', async t => {
  const ctx = await setup(t)
  await store(ctx, {
    name: 'scale-then-check',
    trigger: { anomaly_types: ['latency_spike'] },
    steps: [
      { action: 'scale_up', parameters: { delta: 1 } },
      {
        action: 'restart_function',
        verify: { metric: 'latency_p95_ms', below: 500, within: '1s' },
        on_failure: 'rollback'
      }
    ]
  })
  const anomalyId = await anomaly(ctx.sql, { organization_id: ctx.org, source_component_name: 'checkout-api' })
  const run = await tickUntil(ctx, async () => {
    const [row] = await ctx.sql`select * from runbook_runs where anomaly_id = ${anomalyId} and status = 'rolled_back'`
    return row
  })
  t.match(run.outcome, /scale_up rolled back by/)
  const [scaled] =
    await ctx.sql`select id, rollback_action_id from recovery_actions where runbook_run_id = ${run.id} and runbook_step = 0`
  const [rollback] = await ctx.sql`select * from recovery_actions where id = ${scaled?.rollback_action_id}`
  t.match(
    rollback,
    {
      action_type: 'scale_down',
      trigger_type: 'rollback',
      action_parameters: { delta: 1 },
      action_config: { rollback_of: scaled?.id },
      execution_status: 'pending_approval'
    },
    'the inverse of step 1, waiting for approval as scale_down does'
  )
  t.equal(delivered(ctx, 'scale_up').length, 1)
  t.equal(delivered(ctx, 'restart_function').length, 1)
})

t.test('dry_run mode and the preview show every step and execute nothing', async t => {
  const ctx = await setup(t)
  await store(ctx, THREE_STEPS)
  await slow(ctx, 900)
  const anomalyId = await anomaly(ctx.sql, { organization_id: ctx.org, source_component_name: 'checkout-api' })

  const preview = await ctx.app.inject({
    method: 'POST',
    url: '/v1/self-healing/run',
    headers: ctx.service.headers,
    payload: { dry_run: true }
  })
  t.equal(preview.statusCode, 200)
  t.match(preview.json().decisions, [
    {
      anomaly_id: anomalyId,
      rule: 'runbook:checkout-latency@1',
      action_id: null,
      simulation:
        /step 1 scale_up: dry run: would POST scale_up.*verify latency_p95_ms below 500\nstep 2 restart_function: .*\nstep 3 scale_down: /s
    }
  ])
  t.same(await ctx.sql`select id from runbook_runs`, [], 'the preview stores no run')

  const mode = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/self-healing/mode',
    headers: ctx.admin.headers,
    payload: { mode: 'dry_run' }
  })
  t.equal(mode.statusCode, 200, mode.body)
  await ctx.engine.runDue()
  const [run] = await ctx.sql`select * from runbook_runs where anomaly_id = ${anomalyId}`
  t.match(run, { status: 'dry_run', finished_at: Date })
  const steps =
    await ctx.sql`select step_index, action_type, status, action_id from runbook_run_steps where run_id = ${run?.id} order by step_index`
  t.same(
    steps.map(step => [step.action_type, step.status, step.action_id]),
    [
      ['scale_up', 'simulated', null],
      ['restart_function', 'simulated', null],
      ['scale_down', 'simulated', null]
    ]
  )
  t.equal(ctx.endpoint.requests.length, 0, 'nothing delivered')
  t.same(await ctx.sql`select id from recovery_actions`, [], 'no action stored')
})
