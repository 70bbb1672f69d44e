// The forecaster against a real PostgreSQL: a memory leak ingested through the API opens an
// alert with its fields right, then a predicted_exhaustion signal once the limit is within the
// signal horizon, on which healing decides; the trend turning resolves the alert and its signal;
// its time passing with nothing left to forecast from expires it; runs at once write one row.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { runPrediction, type PredictionRun } from '../../../src/services/prediction/run.js'
import { HOUR, ingestSeries, wholeMinuteNow, wobble } from './leak.js'

const predictAt = (ctx: TestApp, at: number): Promise<PredictionRun> =>
  runPrediction({ db: ctx.app.jobDb, settings: ctx.config.prediction }, { at: new Date(at) })

t.test('a leak opens an alert, then a signal within the horizon that healing decides on', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const organization = randomUUID()
  const now = wholeMinuteNow()
  // 25% six hours ago, 10 points an hour more since, with half a point of noise: 95% at now + 1 h.
  await ingestSeries(ctx, organization, 'orchestrate-flow', now, (hours, i) => ({
    memory_usage_percent: 85 + 10 * hours + 0.5 * wobble(i),
    disk_usage_percent: 40 + 0.3 * wobble(i)
  }))

  const early = await predictAt(ctx, now - 3 * HOUR)
  t.equal(early.opened, 1, 'one alert: memory; disk is flat')
  const alert = early.alerts[0]
  t.equal(alert?.organization_id, organization)
  t.equal(alert?.component_name, 'orchestrate-flow')
  t.equal(alert?.component_type, 'edge_function')
  t.equal(alert?.metric_name, 'memory_usage_percent')
  t.equal(alert?.alert_type, 'resource_exhaustion')
  t.equal(alert?.status, 'active')
  t.equal(alert?.threshold_value, 95)
  t.ok(Math.abs((alert?.actual_value ?? 0) - 55) < 1, `level ${alert?.actual_value} near 55`)
  const target = Date.parse(alert?.forecast_target_time ?? '')
  t.ok(Math.abs(target - (now + HOUR)) < 15 * 60_000, `runs out near now + 1 h: ${alert?.forecast_target_time}`)
  t.ok((alert?.confidence_score ?? 0) > 0.99, 'a rise beyond doubt')
  t.equal(alert?.severity, 'medium', '4 h ahead: medium')
  t.ok((alert?.predicted_value ?? 0) > 95, 'the trend passes the limit within the horizon')
  const metadata = alert?.metadata as Record<string, unknown>
  t.ok(Date.parse(metadata.earliest as string) <= target && target <= Date.parse(metadata.latest as string))
  t.equal(alert?.anomaly_signal_id, null, 'no signal 4 h ahead')
  t.equal(early.signals_opened, 0)

  const late = await predictAt(ctx, now)
  t.equal(late.opened, 0)
  t.equal(late.updated, 1, 'the same alert, refreshed')
  const refreshed = late.alerts[0]
  t.equal(refreshed?.id, alert?.id)
  t.equal(refreshed?.severity, 'high', '1 h ahead: high')
  t.equal(late.signals_opened, 1)
  const [signal] = await sql<
    Array<{ id: string; anomaly_type: string; status: string; organization_id: string; source_id: string }>
  >`select id, anomaly_type, status, organization_id, source_id from anomaly_signals`
  t.equal(signal?.anomaly_type, 'predicted_exhaustion')
  t.equal(signal?.status, 'open')
  t.equal(signal?.organization_id, organization)
  t.equal(signal?.source_id, alert?.id)
  t.equal(refreshed?.anomaly_signal_id, signal?.id, 'the alert names its signal')

  const again = await predictAt(ctx, now + 60_000)
  t.equal(again.signals_opened, 0, 'one signal per alert')
  t.equal((await sql`select 1 from predictive_alerts`).length, 1, 'still one alert')

  const heal = await ctx.app.healing.runDue()
  t.ok(
    heal.decisions.some(decision => decision.anomaly_id === signal?.id),
    'the heal tick decides on the predicted signal'
  )
})

t.test('the trend turning resolves the alert and its signal', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const now = wholeMinuteNow()
  // 40% to 85% over three hours (15 an hour), then back down to 55% by now.
  await ingestSeries(ctx, null, 'pg-pool', now, (hours, i) => ({
    disk_usage_percent: (hours < -3 ? 85 + 15 * (hours + 3) : 85 - 10 * (hours + 3)) + 0.3 * wobble(i)
  }))
  const rising = await predictAt(ctx, now - 3 * HOUR)
  t.equal(rising.opened, 1)
  t.equal(rising.signals_opened, 1, '40 minutes from full: a signal')
  t.equal(rising.alerts[0]?.organization_id, null, "the platform's own component")

  const fallen = await predictAt(ctx, now)
  t.equal(fallen.resolved, 1)
  const [closed] = fallen.alerts
  t.equal(closed?.status, 'resolved')
  t.match((closed?.metadata as Record<string, unknown>).closing_note, /the trend turned/)
  t.ok(closed?.closed_at !== null)
  const [signal] = await sql<Array<{ status: string; resolution_notes: string }>>`
    select status, resolution_notes from anomaly_signals`
  t.equal(signal?.status, 'resolved', 'its signal is resolved with it')
  t.match(signal?.resolution_notes, /predictive alert resolved/)
  t.equal((await predictAt(ctx, now + 60_000)).opened, 0, 'a fallen trend opens nothing')
})

t.test('passing its time with nothing left to forecast from expires it', async t => {
  const ctx = await buildTestApp(t)
  const now = wholeMinuteNow()
  await ingestSeries(ctx, randomUUID(), 'worker', now, (hours, i) => ({
    db_connection_count: Math.round(70 + 5 * hours + wobble(i))
  }))
  const opened = await predictAt(ctx, now)
  t.equal(opened.opened, 1, 'connections run out in about 6 h')
  const target = Date.parse(opened.alerts[0]?.forecast_target_time ?? '')
  t.ok(target > now + 5 * HOUR && target < now + 7 * HOUR, `target ${opened.alerts[0]?.forecast_target_time}`)

  // The component went quiet: after the window has slid past its last event, nothing is forecast.
  const quietBefore = await predictAt(ctx, now + 6 * HOUR + 60_000)
  if (target > now + 6 * HOUR + 60_000) t.equal(quietBefore.expired, 0, 'not before its time')
  const after = await predictAt(ctx, target + 60_000)
  const expired = [...quietBefore.alerts, ...after.alerts].filter(alert => alert.status === 'expired')
  t.equal(expired.length, 1, 'expired once its time passed')
  t.match((expired[0]?.metadata as Record<string, unknown>).closing_note, /forecast time passed/)
})

t.test('flat, noisy and falling resources open nothing', async t => {
  const ctx = await buildTestApp(t)
  const now = wholeMinuteNow()
  await ingestSeries(ctx, randomUUID(), 'steady', now, (hours, i) => ({
    memory_usage_percent: 70 + 8 * wobble(i),
    disk_usage_percent: 80 - 2 * hours,
    error_rate: 1 + 0.5 * wobble(i)
  }))
  const run = await predictAt(ctx, now)
  t.ok(run.forecasts >= 3, `${run.forecasts} forecasts made`)
  t.equal(run.opened, 0)
})

t.test('two runs at once write one alert and one signal', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const now = wholeMinuteNow()
  await ingestSeries(ctx, randomUUID(), 'api', now, (hours, i) => ({
    memory_usage_percent: 85 + 10 * hours + 0.5 * wobble(i)
  }))
  const runs = await Promise.all([predictAt(ctx, now), predictAt(ctx, now), predictAt(ctx, now)])
  t.equal(
    runs.reduce((sum, run) => sum + run.opened, 0),
    1,
    'one run opened it, the others refreshed it'
  )
  t.equal((await sql`select 1 from predictive_alerts where status = 'active'`).length, 1)
  t.equal((await sql`select 1 from anomaly_signals where status = 'open'`).length, 1)
  const [alert] = await sql<
    Array<{ anomaly_signal_id: string | null }>
  >`select anomaly_signal_id from predictive_alerts`
  t.ok(alert?.anomaly_signal_id !== null, 'linked to the one signal')
})

t.test('events that leave the metric out, in between, do not bend its trend', async t => {
  const ctx = await buildTestApp(t)
  const now = wholeMinuteNow()
  const organization = randomUUID()
  await ingestSeries(ctx, organization, 'api', now, (hours, i) => ({
    memory_usage_percent: 85 + 10 * hours + 0.5 * wobble(i)
  }))
  // Another reporter of the same component, two minutes off, with latency only.
  await ingestSeries(ctx, organization, 'api', now - 2 * 60_000, () => ({ latency_ms: 120 }))
  const run = await predictAt(ctx, now)
  t.equal(run.opened, 1)
  t.equal(run.forecasts, 1, 'only memory was reported: one forecast')
  t.ok(Math.abs((run.alerts[0]?.actual_value ?? 0) - 85) < 1, 'its level is the leak’s')
})
