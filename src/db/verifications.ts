// Verification of succeeded actions: the due ones are claimed (SKIP LOCKED, so instances split
// them) and their outcome written in the same transaction. The claim locks FOR NO KEY UPDATE,
// which is all the transaction's own update needs: FOR UPDATE would also block the foreign-key
// checks of signals written meanwhile that reference the action, while this transaction goes on
// to resolve such a signal, which the detector may hold; that ordering deadlocked.
import type { Tx } from './client.js'
import type { RecoveryActionRow } from '../schemas/recovery-actions.js'

export async function claimDueVerifications(tx: Tx, limit: number): Promise<RecoveryActionRow[]> {
  return await tx<RecoveryActionRow[]>`
    select * from recovery_actions
    where verification_status = 'pending' and verification_due_at <= now()
    order by verification_due_at
    limit ${limit}
    for no key update skip locked`
}

export interface VerificationOutcome {
  status: 'verified' | 'not_improved' | 'inconclusive'
  post: Record<string, unknown> | null
  improvement: number | null
  score: number | null
}

export async function recordVerification(tx: Tx, id: string, outcome: VerificationOutcome): Promise<RecoveryActionRow> {
  const [row] = await tx<RecoveryActionRow[]>`
    update recovery_actions set
      verification_status = ${outcome.status}, verified_at = now(),
      post_action_metrics = ${outcome.post === null ? null : tx.json(outcome.post as never)},
      metrics_improvement_percentage = ${outcome.improvement},
      recovery_effectiveness_score = ${outcome.score}
    where id = ${id}
    returning *`
  return row as RecoveryActionRow
}

/** Resolves the anomaly an action verifiably fixed, if it is still active; the lifecycle trigger records when. */
export async function resolveAnomaly(tx: Tx, anomalyId: string, notes: string): Promise<boolean> {
  const rows = await tx`
    update anomaly_signals set status = 'resolved', resolution_notes = coalesce(resolution_notes, ${notes})
    where id = ${anomalyId} and status in ('open', 'acknowledged', 'investigating')
    returning id`
  return rows.length === 1
}
