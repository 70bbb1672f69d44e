// The anomaly signals self-tests raise. A signal is keyed like every other (organization,
// component, anomaly type: one active at a time, by the unique index), with the test as the
// component, so a test that keeps failing updates its open signal instead of opening another,
// and a test that passes again resolves it.
import type { Tx } from './client.js'

export type SelftestAnomalyType = 'selftest_failure' | 'selftest_regression'

export interface SelftestSignal {
  anomaly_type: SelftestAnomalyType
  severity: string
  confidence_score: number
  source_id: string
  source_component_type: string
  source_component_name: string
  anomaly_description: string
  anomaly_summary: string
  recommended_actions: unknown[]
  baseline_value: number | null
  observed_value: number | null
  deviation_percentage: number | null
  detection_algorithm: string
  metadata: Record<string, unknown>
}

export interface RaisedSignal {
  id: string
  inserted: boolean
  historical_occurrences: number
}

export async function raiseSignal(tx: Tx, signal: SelftestSignal): Promise<RaisedSignal> {
  const [row] = await tx<RaisedSignal[]>`
    insert into anomaly_signals (
      anomaly_type, anomaly_category, severity, confidence_score, source_type, source_id, source_component_type,
      source_component_name, anomaly_description, anomaly_summary, recommended_actions, baseline_value, observed_value,
      deviation_percentage, detection_method, detection_algorithm, detection_timestamp, last_observed_at, metadata
    ) values (
      ${signal.anomaly_type}, 'selftest', ${signal.severity}, ${signal.confidence_score}, 'selftest', ${signal.source_id},
      ${signal.source_component_type}, ${signal.source_component_name}, ${signal.anomaly_description}, ${signal.anomaly_summary},
      ${tx.json(signal.recommended_actions as never)}, ${signal.baseline_value}, ${signal.observed_value}, ${signal.deviation_percentage},
      'selftest', ${signal.detection_algorithm}, now(), now(), ${tx.json(signal.metadata as never)}
    )
    on conflict (organization_id, source_component_name, anomaly_type) where status in ('open', 'acknowledged', 'investigating')
    do update set
      historical_occurrences = anomaly_signals.historical_occurrences + 1,
      last_observed_at = excluded.last_observed_at,
      source_id = excluded.source_id,
      anomaly_description = excluded.anomaly_description,
      anomaly_summary = excluded.anomaly_summary,
      recommended_actions = excluded.recommended_actions,
      baseline_value = excluded.baseline_value,
      observed_value = excluded.observed_value,
      deviation_percentage = excluded.deviation_percentage,
      severity = case when core314.severity_rank(excluded.severity) > core314.severity_rank(anomaly_signals.severity)
        then excluded.severity else anomaly_signals.severity end,
      metadata = anomaly_signals.metadata || excluded.metadata
    returning id, (xmax = 0) as inserted, historical_occurrences`
  if (row === undefined) throw new Error('anomaly signal was neither inserted nor updated')
  return row
}

/** Resolves the test's active signal of this type, if any; returns the ids resolved. */
export async function resolveSignal(
  tx: Tx,
  componentName: string,
  anomalyType: SelftestAnomalyType,
  notes: string
): Promise<string[]> {
  const rows = await tx<{ id: string }[]>`
    update anomaly_signals set status = 'resolved', resolution_notes = ${notes}, last_observed_at = now()
    where organization_id is null and source_component_name = ${componentName} and anomaly_type = ${anomalyType}
      and source_type = 'selftest' and status in ('open', 'acknowledged', 'investigating')
    returning id`
  return rows.map(row => row.id)
}
