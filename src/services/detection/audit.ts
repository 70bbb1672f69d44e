// What a detection run writes to decision_audit_log: one record of the run (what it judged, what
// history it read, what the adaptive scorer did) and one per signal it opened or resolved, so the
// audit trail says why each signal exists or went away without reading the detector's code.
import type { DecisionRecord } from '../../db/decision-audit-log.js'
import type { UpsertedSignal } from '../../db/active-signals.js'
import type { AnomalyRow } from '../../schemas/anomalies.js'
import type { ScoringSummary } from './scorer-state.js'
import type { DetectorSettings } from './settings.js'

export interface RunSummary {
  input: {
    window_minutes: number
    component_name: string | null
    analyze: boolean
    at: string
    backtest: boolean
  }
  actor: string
  settings: DetectorSettings
  evaluated: number
  rolledUntil: Date | null
  scoring: ScoringSummary
  upserted: UpsertedSignal[]
  resolved: AnomalyRow[]
  durationMs: number
}

function runRecord(run: RunSummary, opened: UpsertedSignal[]): DecisionRecord {
  const { settings, scoring, rolledUntil } = run
  return {
    decision_type: 'anomaly_detection_run',
    component: 'detector',
    input: run.input,
    decision: {
      components_evaluated: run.evaluated,
      created: opened.map(row => row.id),
      updated: run.upserted.filter(row => !row.inserted).map(row => row.id),
      resolved: run.resolved.map(row => row.id),
      history: { rolled_up_until: rolledUntil?.toISOString() ?? null },
      adaptive: { metrics_scored: scoring.metrics, points_fed: scoring.points, states_started: scoring.fresh }
    },
    outcome: `${opened.length} created, ${run.upserted.length - opened.length} updated, ${run.resolved.length} resolved`,
    reasoning: `${run.evaluated} components judged over ${settings.windowMinutes} minutes against ${settings.lookbackHours} h of history${rolledUntil === null ? '' : ` (rolled up into hours until ${rolledUntil.toISOString()})`}`,
    actor: run.actor,
    duration_ms: run.durationMs
  }
}

function signalRecord(run: RunSummary, row: AnomalyRow, decisionType: string): DecisionRecord {
  return {
    decision_type: decisionType,
    component: 'detector',
    subject_type: 'anomaly_signal',
    subject_id: row.id,
    user_id: row.user_id,
    organization_id: row.organization_id,
    input: run.input,
    actor: run.actor
  }
}

/** The run's record, then one per opened signal, then one per resolved signal. */
export function detectionRecords(run: RunSummary): DecisionRecord[] {
  const opened = run.upserted.filter(row => row.inserted)
  return [
    runRecord(run, opened),
    ...opened.map((row): DecisionRecord => ({
      ...signalRecord(run, row, 'anomaly_detected'),
      decision: {
        anomaly_type: row.anomaly_type,
        severity: row.severity,
        flapping: row.flapping,
        pattern_type: row.pattern_type
      },
      outcome: row.flapping ? 'opened, flapping: held open' : 'opened',
      reasoning: row.anomaly_description,
      confidence_score: row.confidence_score
    })),
    ...run.resolved.map((row): DecisionRecord => ({
      ...signalRecord(run, row, 'anomaly_auto_resolved'),
      outcome: 'resolved',
      reasoning: row.resolution_notes
    }))
  ]
}
