// Writes on recovery_actions that move an action through its workflow, and the seed's
// recovery helper functions. The state machine itself is enforced by the table's trigger
// (C3409 for a move it does not allow); these run as the caller, under RLS.
import type { Tx } from './client.js'
import type { RecoveryActionRow } from '../schemas/recovery-actions.js'
import type { RecoveryStatisticsRow } from '../schemas/recovery-reports.js'

export interface ApprovalChange {
  approval_status: 'approved' | 'rejected'
  execution_status: 'approved' | 'rejected'
  approval_notes: string | null
}

export async function decideApproval(
  tx: Tx,
  id: string,
  change: ApprovalChange
): Promise<RecoveryActionRow | undefined> {
  const [row] = await tx<RecoveryActionRow[]>`
    update recovery_actions
    set approval_status = ${change.approval_status}, execution_status = ${change.execution_status},
        approval_notes = coalesce(${change.approval_notes}, approval_notes)
    where id = ${id}
    returning *`
  return row
}

export async function cancelAction(tx: Tx, id: string, reason: string | null): Promise<RecoveryActionRow | undefined> {
  const [row] = await tx<RecoveryActionRow[]>`
    update recovery_actions
    set execution_status = 'cancelled', execution_completed_at = now(),
        execution_output = coalesce(${reason}, execution_output)
    where id = ${id}
    returning *`
  return row
}

export async function pendingActions(
  tx: Tx,
  componentName: string | null,
  organizationId: string | null,
  limit: number
): Promise<RecoveryActionRow[]> {
  return await tx<
    RecoveryActionRow[]
  >`select * from get_pending_recovery_actions(${componentName}, ${organizationId}::uuid, ${limit})`
}

export async function actionStatistics(
  tx: Tx,
  since: string,
  until: string,
  componentName: string | null,
  organizationId: string | null
): Promise<RecoveryStatisticsRow[]> {
  return await tx<RecoveryStatisticsRow[]>`
    select * from get_recovery_action_statistics(${since}::text::timestamptz, ${until}::text::timestamptz, ${componentName}, ${organizationId}::uuid)`
}
