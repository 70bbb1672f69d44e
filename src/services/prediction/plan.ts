// What one forecast run changes in predictive_alerts: for every component's resource metric, a
// trend fitted to its window (src/lib/forecast), then open or refresh an alert when it runs out
// within the horizon, resolve an open one when the trend has turned, expire one whose time has
// passed without points left to forecast from. Pure: the run reads and writes around it.
import type { PredictionConfig } from '../../config.js'
import type { AlertClosing, AlertDraft, ForecastSeries, OpenAlert } from '../../db/predictive-alerts.js'
import { forecastExhaustion, type ExhaustionForecast } from '../../lib/forecast/exhaustion.js'
import { theilSen } from '../../lib/forecast/theil-sen.js'
import { HOUR_MS, MINUTE_MS } from '../../lib/time.js'
import { FORECAST_METRIC_NAMES } from '../../schemas/predictive-alerts.js'

/** Two-sided 90%: the interval of the slope and of the crossing. */
const Z_90 = 1.645
/** Below this, an open alert's rise is no likelier than a fall: the trend has turned. */
const TURNED_CONFIDENCE = 0.5
/** The window is cut into at most this many slices, each a median (the trend's points). */
export const MAX_SLICES = 120

export type Severity = 'low' | 'medium' | 'high' | 'critical'

export interface PlannedAlert {
  draft: AlertDraft
  forecast: ExhaustionForecast
  /** Forecast within the signal horizon: a predicted_exhaustion signal should be open. */
  signal: boolean
}

export interface PredictionPlan {
  alerts: PlannedAlert[]
  closings: AlertClosing[]
  forecasts: number
}

const keyOf = (organizationId: string | null, componentName: string, metric: string): string =>
  `${organizationId ?? ''}\u0000${componentName}\u0000${metric}`

const round = (value: number, digits = 4): number => Number(value.toFixed(digits))

/** The sooner it runs out, the worse: within a quarter of the signal horizon is critical. */
export function severityOf(etaMs: number, settings: PredictionConfig): Severity {
  const signalMs = settings.signalHorizonMinutes * MINUTE_MS
  if (etaMs <= signalMs / 4) return 'critical'
  if (etaMs <= signalMs) return 'high'
  if (etaMs <= (settings.horizonHours * HOUR_MS) / 4) return 'medium'
  return 'low'
}

/** The slices of `metric` that reported it, as the forecaster's points. */
function pointsOf(series: ForecastSeries, metric: (typeof FORECAST_METRIC_NAMES)[number]) {
  const values = series[metric]
  const t: number[] = []
  const v: number[] = []
  values.forEach((value, i) => {
    if (!Number.isFinite(value)) return
    t.push(series.t[i] as number)
    v.push(value)
  })
  return { t, v }
}

/** Whether the newer half of the points still rises (a positive slope and Mann–Kendall statistic). */
function recentlyRising(points: { t: number[]; v: number[] }): boolean {
  const half = Math.floor(points.t.length / 2)
  const trend = theilSen({ t: points.t.slice(half), v: points.v.slice(half) }, Z_90)
  return trend !== null && trend.slope > 0 && trend.z > 0
}

const iso = (epochMs: number): string | null => (Number.isFinite(epochMs) ? new Date(epochMs).toISOString() : null)

function draftOf(
  series: ForecastSeries,
  metric: string,
  threshold: number,
  forecast: ExhaustionForecast,
  at: number,
  settings: PredictionConfig
): AlertDraft {
  const target = at + forecast.eta
  const horizonMs = settings.horizonHours * HOUR_MS
  const perHour = forecast.slope * HOUR_MS
  const between = `between ${iso(at + forecast.etaEarliest) ?? 'now'} and ${iso(at + forecast.etaLatest) ?? 'never'}`
  return {
    organization_id: series.organization_id,
    component_name: series.component_name,
    component_type: series.component_type,
    alert_type: 'resource_exhaustion',
    metric_name: metric,
    predicted_value: round(forecast.level + forecast.slope * horizonMs),
    actual_value: round(forecast.level),
    threshold_value: threshold,
    forecast_target_time: new Date(target),
    confidence_score: round(forecast.confidence),
    severity: severityOf(forecast.eta, settings),
    message:
      forecast.eta === 0
        ? `${metric} of ${series.component_name} has reached ${threshold}`
        : `${metric} of ${series.component_name} reaches ${threshold} around ${iso(target)} (${between}) at ${round(perHour, 3)} per hour`,
    metadata: {
      forecaster: 'theil-sen',
      forecast_at: new Date(at).toISOString(),
      slope_per_hour: round(perHour),
      slope_interval_per_hour: [round(forecast.slopeLow * HOUR_MS), round(forecast.slopeHigh * HOUR_MS)],
      earliest: iso(at + forecast.etaEarliest),
      latest: iso(at + forecast.etaLatest),
      noise: round(forecast.noise),
      points: forecast.points,
      window_minutes: settings.windowMinutes,
      interval_level: 0.9
    }
  }
}

export function planPredictions(
  allSeries: ForecastSeries[],
  open: OpenAlert[],
  at: number,
  settings: PredictionConfig
): PredictionPlan {
  const openByKey = new Map(
    open.map(alert => [keyOf(alert.organization_id, alert.component_name, alert.metric_name), alert])
  )
  const horizonMs = settings.horizonHours * HOUR_MS
  const alerts: PlannedAlert[] = []
  const closings: AlertClosing[] = []
  const forecastFor = new Set<string>()
  let forecasts = 0

  for (const series of allSeries) {
    for (const metric of FORECAST_METRIC_NAMES) {
      const points = pointsOf(series, metric)
      if (points.t.length < settings.minPoints) continue
      const threshold = settings.limits[metric]
      const forecast = forecastExhaustion(points, { threshold, at, zLevel: Z_90 })
      if (forecast === null) continue
      forecasts++
      const key = keyOf(series.organization_id, series.component_name, metric)
      forecastFor.add(key)
      const existing = openByKey.get(key)
      const opens = forecast.confidence >= settings.minConfidence && forecast.eta <= horizonMs
      // Hysteresis: an open alert is kept while the rise stays likelier than not and the limit
      // within twice the horizon, so a noisy leak does not close and reopen every run. A turn
      // shows in the window's recent half long before the whole window's line flattens.
      const turned = forecast.slope <= 0 || forecast.confidence < TURNED_CONFIDENCE || !recentlyRising(points)
      const holds = existing !== undefined && (forecast.eta === 0 || (!turned && forecast.eta <= 2 * horizonMs))
      if (opens || holds) {
        alerts.push({
          draft: draftOf(series, metric, threshold, forecast, at, settings),
          forecast,
          signal: forecast.eta <= settings.signalHorizonMinutes * MINUTE_MS && (opens || forecast.eta === 0)
        })
      } else if (existing !== undefined) {
        closings.push({
          id: existing.id,
          status: 'resolved',
          note: turned
            ? `the trend turned: ${metric} no longer rises (${round(forecast.slope * HOUR_MS, 3)} per hour over the window, confidence of a rise ${round(forecast.confidence, 3)})`
            : `${metric} no longer runs out within twice the horizon (${settings.horizonHours * 2} h)`
        })
      }
    }
  }
  for (const alert of open) {
    const key = keyOf(alert.organization_id, alert.component_name, alert.metric_name)
    if (forecastFor.has(key) || alert.forecast_target_time === null || alert.forecast_target_time > at) continue
    closings.push({
      id: alert.id,
      status: 'expired',
      note: `its forecast time passed with too few points in the last ${settings.windowMinutes} minutes to forecast again`
    })
  }
  return { alerts, closings, forecasts }
}
