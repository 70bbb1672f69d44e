// The signal a forecast opens when the resource runs out within the signal horizon: a
// predicted_exhaustion anomaly, written through the one active-signal upsert the detector and the
// self-tests use (one active signal per organization, component and type), so healing decides on
// it as on any other (HEAL_ACTION_MAP maps `predicted_exhaustion:<severity>`; unmapped, people
// are told ahead of time). Its own type keeps the detector from resolving it as a normal metric.
import { upsertActiveSignals, type SignalColumn, type UpsertedSignal } from '../../db/active-signals.js'
import type { Tx } from '../../db/client.js'
import type { WrittenAlert } from '../../db/predictive-alerts.js'

export const PREDICTED_EXHAUSTION = 'predicted_exhaustion'

type SignalDraft = Record<SignalColumn & keyof ReturnType<typeof signalDraftOf>, unknown>

function signalDraftOf(alert: WrittenAlert, at: Date) {
  const metadata = alert.metadata as Record<string, unknown>
  return {
    // Like the detector's: the trend comes from every event of the organization's component.
    user_id: null,
    organization_id: alert.organization_id,
    anomaly_type: PREDICTED_EXHAUSTION,
    anomaly_category: 'resource',
    severity: alert.severity,
    confidence_score: alert.confidence_score,
    source_type: 'predictive_alerts',
    source_id: alert.id,
    source_component_type: alert.component_type,
    source_component_name: alert.component_name,
    anomaly_description: alert.message,
    baseline_value: alert.actual_value,
    observed_value: alert.actual_value,
    deviation_percentage: null,
    threshold_exceeded: alert.threshold_value,
    pattern_type: 'gradual_increase',
    pattern_duration_seconds: null,
    pattern_frequency: null,
    affected_components: [alert.component_name],
    detection_method: 'statistical',
    detection_algorithm: 'theil-sen trend to the limit, Mann-Kendall confidence',
    detection_timestamp: at,
    last_observed_at: at,
    flapping: false,
    // Not `metric`: the detector resolves signals whose `metric` is back to normal, and a
    // forecast's metric is normal until it runs out.
    metadata: {
      predictor: 'core314-forecaster',
      predictive_alert_id: alert.id,
      forecast_metric: alert.metric_name,
      forecast_target_time: alert.forecast_target_time,
      earliest: metadata.earliest ?? null,
      latest: metadata.latest ?? null
    }
  }
}

/** A repeat (a second run meeting the same active signal) refreshes what the forecast says now. */
export async function openSignals(tx: Tx, alerts: WrittenAlert[], at: Date): Promise<UpsertedSignal[]> {
  const drafts: SignalDraft[] = alerts.map(alert => signalDraftOf(alert, at))
  const [first] = drafts
  if (first === undefined) return []
  return await upsertActiveSignals(tx, Object.keys(first) as SignalColumn[], drafts, {
    replace: ['observed_value', 'threshold_exceeded', 'anomaly_description'],
    keepHighest: ['confidence_score']
  })
}
