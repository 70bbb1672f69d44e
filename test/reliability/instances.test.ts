// Three real server processes on one database, every job scheduled at a seconds cadence: each
// tick of each job runs on one instance only, and every recovery action (queued before they
// start, created through any of them while they run, opened by the heal job from anomalies,
// and asked for on all three at once through POST /execute) reaches its control endpoint
// exactly once. The figures (ticks, who ran them, deliveries) are printed with the assertions.
import t from 'tap'
import { signToken } from '../../src/services/auth/tokens.js'
import { sealedSecret, TEST_JWT_SECRET } from '../helpers/app.js'
import {
  logLines,
  metric,
  startInstances,
  stopInstance,
  waitFor,
  type Instance,
  type LogLine
} from '../helpers/cluster.js'
import { startControlEndpoint } from '../helpers/control-endpoint.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

const SECRET = 'cluster-control-secret-0123456789'
const QUEUED = 30
const ANOMALIES = 10
const ROUNDS = 5
const PER_ROUND = 6
const RUN_MS = 8000

// The messages each job logs when a tick it claimed has run (a failed run logs 'job run failed'; a
// self-test run that found failures or regressions says so, at error or warn).
const RAN = new Set([
  'monitor run done',
  'detection run done',
  'heal done',
  'maintenance done',
  'prediction run done',
  'self-tests done',
  'self-tests failed',
  'self-tests regressed',
  'job run failed'
])

function ticksRun(instance: Instance): Array<{ job: string; tick: string }> {
  return logLines(instance)
    .filter(
      (line): line is LogLine & { job: string; tick: string } =>
        typeof line.job === 'string' && typeof line.tick === 'string' && RAN.has(line.msg ?? '')
    )
    .map(({ job, tick }) => ({ job, tick }))
}

t.test('three instances: each tick of each job runs once, each recovery action is delivered once', async t => {
  const begun = Date.now()
  const { url } = await freshDatabase(t)
  const sql = ownerSql(t, url)
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  // One component per anomaly (a component has one open signal per type), all behind the same endpoint.
  await sql`
    insert into components (component_name, component_type, webhook_url, webhook_secret)
    select name, 'service', ${endpoint.url}, ${sealedSecret(SECRET)} from unnest(array['checkout-api'] || array(select 'spiking-' || i from generate_series(1, ${ANOMALIES}) i)) name`
  await sql`
    insert into recovery_actions (action_type, target_component_name, trigger_reason)
    select 'restart_function', 'checkout-api', 'queued ' || i from generate_series(1, ${QUEUED}) i`
  await sql`
    insert into anomaly_signals (anomaly_type, severity, source_type, source_component_name, anomaly_description)
    select 'latency_spike', 'critical', 'system_health_events', 'spiking-' || i, 'p95 tripled' from generate_series(1, ${ANOMALIES}) i`

  const instances = await startInstances(t, url, 3, {
    JOBS_ENABLED: 'true',
    HEAL_CRON: '* * * * * *',
    MONITOR_CRON: '*/2 * * * * *',
    DETECT_CRON: '*/2 * * * * *',
    MAINTENANCE_CRON: '*/3 * * * * *',
    PREDICT_CRON: '*/3 * * * * *',
    SELFTEST_CRON: 'off',
    SELFTEST_SCHEDULES: 'job_freshness=*/2 * * * * *;rls_isolation=*/3 * * * * *',
    // Small batches spread the queue over several ticks; no guard holds the anomalies' actions back.
    HEAL_BATCH_SIZE: '3',
    HEAL_COOLDOWN_SECONDS: '0',
    HEAL_MAX_ACTIONS_PER_HOUR: '10000',
    HEAL_BUDGET_PER_MINUTE: '100000',
    HEAL_VERIFY_DELAY_SECONDS: '3600'
  })
  const started = Date.now()
  t.comment(`three instances listening after ${started - begun} ms`)
  const service = {
    authorization: `Bearer ${await signToken(TEST_JWT_SECRET, { role: 'service_role' })}`,
    'content-type': 'application/json'
  }

  // While the jobs run: actions created through each instance in turn, each then asked to run now on all three at once.
  const executeStatuses: number[] = []
  const created: string[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const via = instances[round % instances.length] as Instance
    const ids = await Promise.all(
      Array.from({ length: PER_ROUND }, async (_, i) => {
        const res = await fetch(`${via.address}/v1/recovery-actions`, {
          method: 'POST',
          headers: service,
          body: JSON.stringify({
            action_type: 'restart_function',
            target_component_name: 'checkout-api',
            trigger_reason: `round ${round} #${i}`
          })
        })
        t.equal(res.status, 201, `created through ${via.name}`)
        return ((await res.json()) as { id: string }).id
      })
    )
    created.push(...ids)
    const executions = await Promise.all(
      ids.flatMap(id =>
        instances.map(
          async instance =>
            (
              await fetch(`${instance.address}/v1/recovery-actions/${id}/execute`, {
                method: 'POST',
                headers: { authorization: service.authorization }
              })
            ).status
        )
      )
    )
    executeStatuses.push(...executions)
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
  const total = QUEUED + ANOMALIES + ROUNDS * PER_ROUND
  await waitFor(
    async () => {
      const [row] = await sql<
        Array<{ done: number }>
      >`select count(*)::int as done from recovery_actions where action_type = 'restart_function' and execution_status = 'succeeded'`
      return (row?.done ?? 0) >= total && Date.now() - started >= RUN_MS
    },
    20_000,
    `${total} actions succeeded`
  )

  const locked = await Promise.all(
    instances.map(async instance => await metric(instance, 'job_runs_total', { outcome: 'skipped_locked' }))
  )
  const codes = await Promise.all(instances.map(stopInstance))
  t.same(codes, [0, 0, 0], 'each instance drained and exited 0')

  // Ticks: across the three logs, no job ran the same tick twice, and job_runs counts every run.
  const runs = instances.flatMap(instance => ticksRun(instance).map(run => ({ ...run, instance: instance.name })))
  const byTick = new Map<string, string[]>()
  for (const run of runs)
    byTick.set(`${run.job} ${run.tick}`, [...(byTick.get(`${run.job} ${run.tick}`) ?? []), run.instance])
  const twice = [...byTick].filter(([, ran]) => ran.length > 1)
  t.same(twice, [], `no tick ran twice: ${byTick.size} ticks of ${new Set(runs.map(run => run.job)).size} jobs`)
  const recorded = await sql<
    Array<{ job_name: string; run_count: number }>
  >`select job_name, run_count from job_runs order by job_name`
  const counted = Object.fromEntries(
    recorded.map(row => [row.job_name, runs.filter(run => run.job === row.job_name).length])
  )
  t.same(
    Object.fromEntries(recorded.map(row => [row.job_name, row.run_count])),
    counted,
    'job_runs counts exactly the runs the instances logged'
  )
  t.same(
    recorded.map(row => row.job_name),
    ['detect', 'heal', 'maintenance', 'monitor', 'predict', 'selftest:job_freshness', 'selftest:rls_isolation'],
    'every scheduled job ticked'
  )
  const heal = recorded.find(row => row.job_name === 'heal')?.run_count ?? 0
  t.ok(heal >= 6, `heal ran ${heal} ticks`)
  const share = Object.fromEntries(
    instances.map(instance => [instance.name, runs.filter(run => run.instance === instance.name).length])
  )
  t.ok(
    Object.values(share).filter(n => n > 0).length >= 2,
    `runs by instance ${JSON.stringify(share)}; ticks each found already taken: ${locked.join(', ')}`
  )

  // Actions: one automatic action per anomaly, every action delivered once and only once.
  const automatic = await sql<Array<{ source_component_name: string; actions: number }>>`
    select a.source_component_name, count(r.id)::int as actions from anomaly_signals a
    left join recovery_actions r on r.triggered_by_anomaly_id = a.id and r.trigger_type = 'automatic'
    group by a.id order by 1`
  t.same(
    automatic.filter(row => row.source_component_name.startsWith('spiking-')).map(row => row.actions),
    Array(ANOMALIES).fill(1),
    'each anomaly got one automatic action'
  )
  t.ok(
    automatic.every(row => row.actions <= 1),
    `no anomaly got two: ${JSON.stringify(automatic.filter(row => !row.source_component_name.startsWith('spiking-')))}`
  )
  const actions = await sql<
    Array<{ id: string; execution_status: string; attempt_number: number; lease_owner: string | null }>
  >`
    select id, execution_status, attempt_number, lease_owner from recovery_actions where action_type = 'restart_function'`
  t.equal(actions.length, total)
  t.ok(
    actions.every(
      action => action.execution_status === 'succeeded' && action.attempt_number === 1 && action.lease_owner === null
    ),
    'every action succeeded at its first attempt'
  )
  const deliveries = endpoint.requests.filter(request => request.method === 'POST')
  const perAction = new Map<string, number>()
  for (const request of deliveries)
    perAction.set(request.idempotencyKey ?? '', (perAction.get(request.idempotencyKey ?? '') ?? 0) + 1)
  t.equal(deliveries.length, total, `${deliveries.length} deliveries for ${total} actions`)
  t.same(
    [...perAction].filter(([, n]) => n !== 1),
    [],
    'no action was delivered twice'
  )
  t.same(new Set(perAction.keys()), new Set(actions.map(action => action.id)), 'every action was delivered')
  t.ok(
    deliveries.every(request => request.signatureValid && !request.replayed),
    'every delivery signed, none a repeat'
  )
  t.equal(endpoint.effects.length, total)

  // POST /execute on three instances at once: at most one of them ran each action, the others were refused.
  const ran = executeStatuses.filter(status => status === 200).length
  t.ok(
    executeStatuses.every(status => status === 200 || status === 409),
    `execute answered 200 or 409 (${ran} ran, ${executeStatuses.length - ran} refused)`
  )
  t.ok(ran <= created.length, 'never more runs than actions')
  const deliverers = await sql<Array<{ actor: string; attempts: number }>>`
    select actor, count(*)::int as attempts from decision_audit_log where decision_type = 'attempt' and outcome = 'succeeded' group by actor order by actor`
  t.ok(
    deliverers.length >= 2,
    `attempts by instance: ${deliverers.map(row => `${row.actor.split(':')[1] ?? row.actor} ${row.attempts}`).join(', ')}; ${((Date.now() - started) / 1000).toFixed(1)} s of jobs`
  )
})
