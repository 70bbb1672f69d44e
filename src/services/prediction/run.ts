// A forecast run, behind the predict job: reads every component's resource metrics over the
// window (event time, as the service role), plans the alert changes (plan.ts), and writes them
// with the signals they open or close in one transaction. With `at` it runs as if it were then.
// Several runs at once (instances, a slow predecessor) write one open alert per organization,
// component and metric and one predicted_exhaustion signal per component: both are upserts on
// unique indexes.
import { performance } from 'node:perf_hooks'
import type { PredictionConfig } from '../../config.js'
import { SERVICE_CALLER } from '../../db/caller.js'
import { recordDecisions, type DecisionRecord } from '../../db/decision-audit-log.js'
import { resolveSignals, type Resolution } from '../../db/detection-signals.js'
import type { Db } from '../../db/port.js'
import {
  closeAlerts,
  forecastSeries,
  linkSignals,
  openAlerts,
  upsertAlerts,
  type WrittenAlert
} from '../../db/predictive-alerts.js'
import { MINUTE_MS } from '../../lib/time.js'
import type { PredictiveAlertRow } from '../../schemas/predictive-alerts.js'
import { MAX_SLICES, planPredictions } from './plan.js'
import { openSignals } from './signal.js'

export interface PredictionRequest {
  /** Forecast as if it were this time (backtesting and tests). */
  at?: Date | undefined
  componentName?: string | undefined
  /** Who asked, for the audit log. */
  actor?: string | undefined
}

export interface PredictionRun {
  evaluated_at: string
  forecasts: number
  opened: number
  updated: number
  resolved: number
  expired: number
  signals_opened: number
  duration_ms: number
  /** The alerts this run opened, updated or closed, as stored. */
  alerts: PredictiveAlertRow[]
}

const componentKey = (alert: { organization_id: string | null; component_name: string | null }): string =>
  `${alert.organization_id ?? ''}\u0000${alert.component_name ?? ''}`

// A draft's columns are untyped; a row's are typed: both meet on the same three values.
const metricKey = (alert: Record<'organization_id' | 'component_name' | 'metric_name', unknown>): string =>
  [alert.organization_id ?? '', alert.component_name, alert.metric_name].map(String).join('\u0000')

// postgres.js hands timestamptz over as a Date, whatever the row type says.
const epochOf = (time: string | Date | null | undefined): number => (time == null ? NaN : new Date(time).getTime())

/**
 * One signal per component (the unique active-signal index allows no more): the alert that runs
 * out soonest among those that ask for one and have none yet.
 */
function signalling(written: WrittenAlert[], wanted: Set<string>): WrittenAlert[] {
  const chosen = new Map<string, WrittenAlert>()
  for (const alert of written) {
    if (!wanted.has(alert.id) || alert.anomaly_signal_id !== null) continue
    const current = chosen.get(componentKey(alert))
    const sooner = epochOf(alert.forecast_target_time) < epochOf(current?.forecast_target_time)
    if (current === undefined || sooner) chosen.set(componentKey(alert), alert)
  }
  return [...chosen.values()]
}

export async function runPrediction(
  deps: { db: Db; settings: PredictionConfig },
  request: PredictionRequest = {}
): Promise<PredictionRun> {
  const started = performance.now()
  const { db, settings } = deps
  const at = request.at ?? new Date()
  const from = new Date(at.getTime() - settings.windowMinutes * MINUTE_MS)
  const sliceSeconds = Math.max(1, Math.floor((settings.windowMinutes * 60) / MAX_SLICES))

  const { series, open } = await db.asCaller(SERVICE_CALLER, async tx => ({
    series: await forecastSeries(tx, from, at, sliceSeconds, request.componentName),
    open: await openAlerts(tx, request.componentName)
  }))
  const plan = planPredictions(series, open, at.getTime(), settings)

  const result = await db.asCaller(SERVICE_CALLER, async tx => {
    const written = await upsertAlerts(
      tx,
      plan.alerts.map(planned => planned.draft)
    )
    // Rows come back in no promised order: they meet their plans again by key.
    const wantsSignal = new Set(plan.alerts.filter(planned => planned.signal).map(planned => metricKey(planned.draft)))
    const wanted = new Set(written.filter(row => wantsSignal.has(metricKey(row))).map(row => row.id))
    const signals = await openSignals(tx, signalling(written, wanted), at)
    const signalOf = new Map(
      signals.map(signal => [componentKey({ ...signal, component_name: signal.source_component_name }), signal.id])
    )
    const links = written
      .filter(alert => alert.anomaly_signal_id === null && wanted.has(alert.id))
      .flatMap(alert => {
        const signalId = signalOf.get(componentKey(alert))
        return signalId === undefined ? [] : [{ id: alert.id, signal_id: signalId }]
      })
    await linkSignals(tx, links)

    const closed = await closeAlerts(tx, plan.closings, at)
    // A signal stays while any open alert of its component still points at it.
    const stillOpen = new Set(written.map(alert => alert.anomaly_signal_id).filter(id => id !== null))
    const closedIds = new Set(closed.map(alert => alert.id))
    for (const alert of open)
      if (!closedIds.has(alert.id) && alert.anomaly_signal_id !== null) stillOpen.add(alert.anomaly_signal_id)
    const resolutions: Resolution[] = closed
      .filter(alert => alert.anomaly_signal_id !== null && !stillOpen.has(alert.anomaly_signal_id))
      .map(alert => ({
        id: alert.anomaly_signal_id as string,
        notes: `Resolved by the forecaster: its predictive alert ${alert.status} (${String((alert.metadata as Record<string, unknown>).closing_note)}).`
      }))
    await resolveSignals(tx, resolutions, at)

    const opened = written.filter(alert => alert.inserted)
    const records: DecisionRecord[] = [
      {
        decision_type: 'prediction_run',
        component: 'forecaster',
        input: {
          at: at.toISOString(),
          window_minutes: settings.windowMinutes,
          component_name: request.componentName ?? null
        },
        decision: {
          forecasts: plan.forecasts,
          opened: opened.map(alert => alert.id),
          updated: written.filter(alert => !alert.inserted).map(alert => alert.id),
          closed: closed.map(alert => ({ id: alert.id, status: alert.status })),
          signals: signals.map(signal => signal.id)
        },
        outcome: `${opened.length} opened, ${written.length - opened.length} updated, ${closed.length} closed`,
        actor: request.actor ?? 'service',
        duration_ms: Math.round(performance.now() - started)
      },
      ...opened.map((alert): DecisionRecord => ({
        decision_type: 'predictive_alert_opened',
        component: 'forecaster',
        subject_type: 'predictive_alert',
        subject_id: alert.id,
        organization_id: alert.organization_id,
        decision: {
          metric: alert.metric_name,
          severity: alert.severity,
          forecast_target_time: alert.forecast_target_time
        },
        outcome: 'opened',
        reasoning: alert.message,
        confidence_score: alert.confidence_score,
        actor: request.actor ?? 'service'
      }))
    ]
    await recordDecisions(tx, records)
    const linked = new Map(links.map(link => [link.id, link.signal_id]))
    return {
      written: written.map(({ inserted: _inserted, ...alert }) => ({
        ...alert,
        anomaly_signal_id: linked.get(alert.id) ?? alert.anomaly_signal_id
      })),
      opened: opened.length,
      closed,
      signalsOpened: signals.filter(signal => signal.inserted).length
    }
  })

  return {
    evaluated_at: at.toISOString(),
    forecasts: plan.forecasts,
    opened: result.opened,
    updated: result.written.length - result.opened,
    resolved: result.closed.filter(alert => alert.status === 'resolved').length,
    expired: result.closed.filter(alert => alert.status === 'expired').length,
    signals_opened: result.signalsOpened,
    duration_ms: Math.round(performance.now() - started),
    alerts: [...result.written, ...result.closed]
  }
}
