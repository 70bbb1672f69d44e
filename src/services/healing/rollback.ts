// Undoing an action: a linked rollback action, of the inverse type where the executor names one
// (scale_up <-> scale_down), or of the same type run through the executor's rollback() (a
// circuit breaker closes). It is queued like any action (and waits for approval when its type
// is risky); when it succeeds the original becomes rolled_back with rollback_completed_at.
import { SERVICE_CALLER } from '../../db/caller.js'
import { insertRow } from '../../db/rows.js'
import { linkRollback, lockAction } from '../../db/rollbacks.js'
import type { RecoveryActionRow } from '../../schemas/recovery-actions.js'
import { errors } from '../../errors.js'
import { audit } from './audit.js'
import type { EngineContext } from './context.js'
import { getExecutor } from './executors/registry.js'

export interface RollbackPair {
  action: RecoveryActionRow
  rollback_action: RecoveryActionRow
}

const COLUMNS = [
  'user_id',
  'organization_id',
  'action_type',
  'action_category',
  'action_name',
  'trigger_type',
  'triggered_by_user_id',
  'triggered_by_anomaly_id',
  'trigger_reason',
  'target_component_type',
  'target_component_name',
  'target_component_id',
  'target_environment',
  'action_config',
  'action_parameters',
  'requires_approval',
  'approval_expires_at',
  'execution_context'
] as const

/** How an action is undone, or why it cannot be. */
function undoPlan(
  action: RecoveryActionRow
): { type: string; inPlace: boolean; parameters: Record<string, unknown> } | string {
  const executor = getExecutor(action.action_type)
  if (executor?.inverse !== undefined) {
    // Undoing "add 2 replicas" is "remove 2"; an absolute replica count has no known inverse, so the receiver picks its step.
    const delta = action.action_parameters.delta
    return { type: executor.inverse, inPlace: false, parameters: delta === undefined ? {} : { delta } }
  }
  if (executor?.rollback !== undefined)
    return { type: action.action_type, inPlace: true, parameters: action.action_parameters }
  return `${action.action_type} has no inverse action and cannot be undone by the service; undo it by hand`
}

export async function createRollback(
  ctx: EngineContext,
  id: string,
  reason: string,
  actor: { id: string; userId: string | null }
): Promise<RollbackPair> {
  return await ctx.db.asCaller(SERVICE_CALLER, async tx => {
    const action = await lockAction(tx, id)
    if (action === undefined) throw new errors.RecoveryActionNotFound(`recovery action ${id} not found`)
    if (action.execution_status !== 'succeeded' && action.execution_status !== 'failed') {
      throw new errors.ActionStateConflict(
        `recovery action ${id} is ${action.execution_status}; only a succeeded or failed action can be rolled back`
      )
    }
    if (action.rollback_action_id !== null)
      throw new errors.ActionStateConflict(
        `recovery action ${id} already has rollback action ${action.rollback_action_id}`
      )
    const plan = undoPlan(action)
    if (typeof plan === 'string') throw new errors.RollbackNotPossible(plan)
    const requiresApproval = ctx.config.approvalTypes.includes(plan.type)
    const rollback = await insertRow<RecoveryActionRow>(
      tx,
      'recovery_actions',
      {
        user_id: action.user_id,
        organization_id: action.organization_id,
        action_type: plan.type,
        action_category: 'rollback',
        action_name: `roll back ${action.action_type}`,
        trigger_type: 'rollback',
        triggered_by_user_id: actor.userId,
        triggered_by_anomaly_id: action.triggered_by_anomaly_id,
        trigger_reason: reason,
        target_component_type: action.target_component_type,
        target_component_name: action.target_component_name,
        target_component_id: action.target_component_id,
        target_environment: action.target_environment,
        action_config: { rollback_of: action.id, in_place: plan.inPlace },
        action_parameters: plan.parameters,
        requires_approval: requiresApproval,
        approval_expires_at: requiresApproval ? new Date(Date.now() + ctx.config.approvalTtlMs) : undefined,
        execution_context: { rollback_of: action.id }
      },
      COLUMNS
    )
    const linked = await linkRollback(tx, action.id, rollback.id, reason)
    await audit(tx, {
      type: 'rollback',
      actor: actor.id,
      outcome: rollback.execution_status,
      reasoning: reason,
      action,
      decision: {
        rollback_action_id: rollback.id,
        action_type: plan.type,
        in_place: plan.inPlace,
        requires_approval: requiresApproval
      }
    })
    return { action: linked, rollback_action: rollback }
  })
}
