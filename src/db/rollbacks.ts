// The link between an action and the action that undoes it, and the original's completion when
// the rollback action succeeds.
import type { Tx } from './client.js'
import type { RecoveryActionRow } from '../schemas/recovery-actions.js'

export async function linkRollback(
  tx: Tx,
  id: string,
  rollbackActionId: string,
  reason: string
): Promise<RecoveryActionRow> {
  const [row] = await tx<RecoveryActionRow[]>`
    update recovery_actions set rollback_required = true, rollback_action_id = ${rollbackActionId}, rollback_reason = ${reason}
    where id = ${id}
    returning *`
  return row as RecoveryActionRow
}

/** Marks the action `rollbackActionId` undid as rolled back; its own completion time stays as it was. */
export async function completeRollback(tx: Tx, rollbackActionId: string): Promise<RecoveryActionRow | undefined> {
  const [row] = await tx<RecoveryActionRow[]>`
    update recovery_actions set execution_status = 'rolled_back', rollback_completed_at = now()
    where rollback_action_id = ${rollbackActionId} and execution_status in ('succeeded', 'failed')
    returning *`
  return row
}

/** The action, locked until the transaction ends so two rollbacks of it cannot both be created. */
export async function lockAction(tx: Tx, id: string): Promise<RecoveryActionRow | undefined> {
  const [row] = await tx<RecoveryActionRow[]>`select * from recovery_actions where id = ${id} for update`
  return row
}
