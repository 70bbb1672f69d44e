// Inserts into the Core314 decision_audit_log, where the monitor, the detector and the healing
// engine each record what they decided and why. One generic insert, so every writer fills the
// same columns the same way; it runs in the caller's transaction, under row-level security.
import type { Tx } from './client.js'

export interface DecisionRecord {
  /** What kind of decision: 'action_chosen', 'guard_held', 'anomaly_detected', ... */
  decision_type: string
  /** The part of the service that decided: 'self-healing-engine', 'monitor', 'detector'. */
  component: string
  subject_type?: string | null
  subject_id?: string | null
  user_id?: string | null
  organization_id?: string | null
  input?: Record<string, unknown>
  decision?: Record<string, unknown>
  outcome?: string | null
  reasoning?: string | null
  confidence_score?: number | null
  /** Who decided: a user id, 'service' or the instance that acted. */
  actor?: string | null
  duration_ms?: number | null
}

const COLUMNS = [
  'decision_type',
  'component',
  'subject_type',
  'subject_id',
  'user_id',
  'organization_id',
  'input',
  'decision',
  'outcome',
  'reasoning',
  'confidence_score',
  'actor',
  'duration_ms'
] as const

function row(record: DecisionRecord): Record<string, unknown> {
  return { ...record, input: record.input ?? {}, decision: record.decision ?? {} }
}

export async function recordDecisions(tx: Tx, records: DecisionRecord[]): Promise<void> {
  if (records.length === 0) return
  // One JSON parameter read back as the table's rows: the same statement text for any number of
  // records, where a VALUES list made one prepared statement per count on every connection.
  const columns = tx(COLUMNS)
  await tx`
    insert into decision_audit_log (${columns})
    select ${columns} from jsonb_populate_recordset(null::decision_audit_log, ${tx.json(records.map(row) as never)})`
}

export async function recordDecision(tx: Tx, record: DecisionRecord): Promise<void> {
  await recordDecisions(tx, [record])
}

/** The latest entry `component` recorded about a subject: its outcome and reasoning. */
export async function latestDecisionAbout(
  tx: Tx,
  component: string,
  subject: { type: string; id: string }
): Promise<{ outcome: string | null; reasoning: string | null } | undefined> {
  const [row] = await tx<Array<{ outcome: string | null; reasoning: string | null }>>`
    select outcome, reasoning from decision_audit_log
    where subject_id = ${subject.id} and subject_type = ${subject.type} and component = ${component}
    order by created_at desc, id desc limit 1`
  return row
}
