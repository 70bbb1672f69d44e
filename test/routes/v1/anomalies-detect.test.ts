// POST /v1/anomalies/detect: who may run the detector, what it refuses, what it returns and
// records, and the detect job calling the same service function.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { jobDefinitions } from '../../../src/jobs/index.js'
import { evaluationTime, historyThen, insertSeries } from '../../services/detection/series.js'

t.test('services and admins may run it; users and anonymous callers may not', async t => {
  const ctx = await buildTestApp(t)
  const url = '/v1/anomalies/detect'
  t.equal((await ctx.app.inject({ method: 'POST', url, payload: {} })).statusCode, 401)
  t.equal((await ctx.app.inject({ method: 'POST', url, headers: ctx.user.headers, payload: {} })).statusCode, 403)
  for (const caller of [ctx.service, ctx.admin]) {
    const res = await ctx.app.inject({ method: 'POST', url, headers: caller.headers, payload: { analyze: false } })
    t.equal(res.statusCode, 200)
    t.match(res.json(), { backtest: false, window_minutes: 15, components_evaluated: 0, signals: [] })
  }
})

t.test('bad input is a 400 naming the field', async t => {
  const ctx = await buildTestApp(t)
  const post = async (payload: Record<string, unknown>) =>
    await ctx.app.inject({ method: 'POST', url: '/v1/anomalies/detect', headers: ctx.admin.headers, payload })
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ window_minutes: 0 }, '/body/window_minutes'],
    [{ window_minutes: 2000 }, '/body/window_minutes'],
    [{ analyze: 'yes' }, '/body/analyze'],
    [{ at: 'yesterday' }, '/body/at'],
    [{ at: new Date(Date.now() + 3_600_000).toISOString() }, '/body/at'],
    [{ component_name: '' }, '/body/component_name']
  ]
  for (const [payload, path] of cases) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.ok(
      res.json().errors.some((error: { path: string }) => error.path === path),
      `${path} named`
    )
  }
  t.equal((await post({ thresholds: { latency: 1 } })).statusCode, 400, 'unknown properties are refused')
})

t.test('a run returns the signals it created and is recorded in decision_audit_log', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const at = evaluationTime()
  await insertSeries(sql, 'orchestrate-flow', historyThen(at, 120, 180, 5, [180, 2400, 180]))
  await insertSeries(sql, 'other', historyThen(at, 120, 180, 5, [180, 2400, 180]))
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies/detect',
    headers: ctx.admin.headers,
    payload: { at: at.toISOString(), component_name: 'orchestrate-flow', analyze: false, window_minutes: 10 }
  })
  t.equal(res.statusCode, 200)
  const run = res.json()
  t.match(run, {
    backtest: true,
    window_minutes: 10,
    components_evaluated: 1,
    created: 1,
    evaluated_at: at.toISOString()
  })
  t.match(run.signals, [
    {
      source_component_name: 'orchestrate-flow',
      anomaly_type: 'latency_spike',
      source_type: 'system_health_events',
      status: 'open'
    }
  ])

  const audit =
    await sql`select decision_type, component, subject_id, actor, input, outcome from decision_audit_log order by decision_type`
  t.match(audit, [
    { decision_type: 'anomaly_detected', component: 'detector', subject_id: run.signals[0].id, actor: ctx.admin.id },
    {
      decision_type: 'anomaly_detection_run',
      component: 'detector',
      actor: ctx.admin.id,
      input: { window_minutes: 10, component_name: 'orchestrate-flow', backtest: true },
      outcome: '1 created, 0 updated, 0 resolved'
    }
  ])
})

t.test('the detect job runs the same detector on its schedule', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await insertSeries(sql, 'orchestrate-flow', historyThen(new Date(), 120, 180, 5, [180, 2400]))
  const job = jobDefinitions({ config: ctx.config, db: ctx.app.db, healing: ctx.app.healing }).find(
    definition => definition.name === 'detect'
  )
  t.equal(job?.schedule, ctx.config.schedules.detect)
  await job?.run({ tick: new Date(), signal: new AbortController().signal, log: ctx.app.log })
  t.match(
    await sql`select source_component_name, detection_method from anomaly_signals`,
    [{ source_component_name: 'orchestrate-flow', detection_method: 'statistical' }],
    'no key configured: no analysis'
  )
  t.match(await sql`select actor from decision_audit_log where decision_type = 'anomaly_detection_run'`, [
    { actor: 'detect-job' }
  ])
})
