// The engine's entries in decision_audit_log: every choice, hold, approval, attempt,
// verification and rollback, with the action or anomaly it concerns as the subject.
import type { Tx } from '../../db/client.js'
import { recordDecisions, type DecisionRecord } from '../../db/decision-audit-log.js'
import type { RecoveryActionRow } from '../../schemas/recovery-actions.js'

export const ENGINE = 'self-healing-engine'

export type HealingDecision =
  | 'action_chosen'
  | 'guard_held'
  | 'approval'
  | 'attempt'
  | 'verification'
  | 'rollback'
  | 'escalation'
  | 'mode_change'
  | 'breaker'

export interface Entry {
  type: HealingDecision
  actor: string
  outcome: string
  reasoning: string
  action?: Pick<RecoveryActionRow, 'id' | 'user_id' | 'organization_id'>
  subject?: { type: string; id: string | null }
  input?: Record<string, unknown>
  decision?: Record<string, unknown>
  durationMs?: number
}

function record(entry: Entry): DecisionRecord {
  return {
    decision_type: entry.type,
    component: ENGINE,
    subject_type: entry.action === undefined ? (entry.subject?.type ?? null) : 'recovery_action',
    subject_id: entry.action === undefined ? (entry.subject?.id ?? null) : entry.action.id,
    user_id: entry.action?.user_id ?? null,
    organization_id: entry.action?.organization_id ?? null,
    input: entry.input ?? {},
    decision: entry.decision ?? {},
    outcome: entry.outcome,
    reasoning: entry.reasoning,
    actor: entry.actor,
    duration_ms: entry.durationMs ?? null
  }
}

export async function audit(tx: Tx, ...entries: Entry[]): Promise<void> {
  await recordDecisions(tx, entries.map(record))
}
