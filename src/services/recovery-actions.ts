// Recovery actions asked for through the API: validated against the executor registry,
// stored with the approval their risk calls for, and moved through the approval workflow by
// admins. Running them belongs to the healing engine.
import { visibleOwner, type Caller } from '../db/caller.js'
import type { Db } from '../db/port.js'
import { isForbiddenMove } from '../db/errors.js'
import type { Identity } from './auth/identity.js'
import { actionStatistics, cancelAction, decideApproval, pendingActions } from '../db/recovery-actions.js'
import { findRow, insertRow, listRows } from '../db/rows.js'
import { decodeCursor, toPage, type Page } from '../db/pagination.js'
import {
  RecoveryActionInput,
  type RecoveryActionInputBody,
  type RecoveryActionRow
} from '../schemas/recovery-actions.js'
import type { RecoveryStatisticsRow } from '../schemas/recovery-reports.js'
import { executorTypes, getExecutor } from './healing/executors/registry.js'
import { createOnce, type Created, type Idempotency } from './idempotency.js'
import { errors, InvalidFields } from '../errors.js'
import type { HealingConfig } from '../config.js'
import { audit } from './healing/audit.js'
import { withRollbackVersion } from './silences/deployments.js'
import { inCredentialOrganization, organizationFilter } from './organization-scope.js'

const INSERT_COLUMNS = [
  ...Object.keys(RecoveryActionInput.properties),
  'trigger_type',
  'triggered_by_user_id',
  'approval_expires_at'
]

/** Which types wait for approval, for how long, and whether the requester may approve. */
export type ApprovalPolicy = Pick<HealingConfig, 'approvalTypes' | 'approvalTtlMs' | 'fourEyes'>

/** The executor for the action and its parameters, or the fields that are wrong. */
function checkAgainstExecutor(input: RecoveryActionInputBody, policy: ApprovalPolicy): { risky: boolean } {
  const executor = getExecutor(input.action_type)
  if (executor === undefined) {
    throw new InvalidFields([
      { path: '/body/action_type', message: `is not a registered executor type (one of ${executorTypes().join(', ')})` }
    ])
  }
  const problems = executor.validate(input.action_parameters ?? {})
  if (problems.length > 0) {
    throw new InvalidFields(
      problems.map(problem => {
        const [field, ...message] = problem.split(': ')
        return message.length === 0
          ? { path: '/body/action_parameters', message: problem }
          : { path: `/body/action_parameters/${field ?? ''}`, message: message.join(': ') }
      })
    )
  }
  return { risky: policy.approvalTypes.includes(executor.type) }
}

export async function requestRecoveryAction(
  db: Db,
  caller: Identity,
  input: RecoveryActionInputBody,
  policy: ApprovalPolicy,
  idempotency: Idempotency
): Promise<Created<RecoveryActionRow>> {
  const { risky } = checkAgainstExecutor(input, policy)
  // A dry run touches nothing, so only a real run of a risky type waits for an admin, and it
  // always does: requires_approval may add approval to a safe type, never waive it.
  const requiresApproval = (risky && input.dry_run !== true) || input.requires_approval === true
  const row = {
    ...inCredentialOrganization(caller, input),
    requires_approval: requiresApproval,
    approval_expires_at: requiresApproval ? new Date(Date.now() + policy.approvalTtlMs) : undefined,
    trigger_type: 'manual',
    triggered_by_user_id: caller.userId
  }
  return await db.asCaller(
    caller,
    async tx =>
      await createOnce(tx, idempotency, async () => {
        const parameters = await withRollbackVersion(
          tx,
          row.organization_id ?? null,
          input.target_component_name,
          input.action_type,
          input.action_parameters ?? {}
        )
        return {
          status: 201,
          body: await insertRow<RecoveryActionRow>(
            tx,
            'recovery_actions',
            { ...row, action_parameters: parameters },
            INSERT_COLUMNS
          )
        }
      })
  )
}

export async function getRecoveryAction(db: Db, caller: Caller, id: string): Promise<RecoveryActionRow> {
  const row = await db.asCaller(caller, async tx => await findRow<RecoveryActionRow>(tx, 'recovery_actions', id))
  if (row === undefined) throw new errors.RecoveryActionNotFound(`recovery action ${id} not found`)
  return row
}

export interface RecoveryActionFilters {
  execution_status?: string | undefined
  action_type?: string | undefined
  target_component_name?: string | undefined
  organization_id?: string | undefined
  approval_status?: string | undefined
}

export async function pageRecoveryActions(
  db: Db,
  caller: Caller,
  filters: RecoveryActionFilters,
  cursor: string | undefined,
  limit: number
): Promise<Page<RecoveryActionRow>> {
  const query = {
    equals: { ...filters, organization_id: organizationFilter(filters.organization_id), user_id: visibleOwner(caller) },
    cursor: cursor === undefined ? undefined : decodeCursor(cursor),
    limit
  }
  return toPage(
    await db.asCaller(caller, async tx => await listRows<RecoveryActionRow>(tx, 'recovery_actions', query)),
    limit
  )
}

export async function listPendingRecoveryActions(
  db: Db,
  caller: Caller,
  componentName: string | undefined,
  organizationId: string | undefined,
  limit: number
): Promise<RecoveryActionRow[]> {
  return await db.asCaller(
    caller,
    async tx => await pendingActions(tx, componentName ?? null, organizationId ?? null, limit)
  )
}

export async function summariseRecoveryActions(
  db: Db,
  caller: Caller,
  since: string,
  until: string,
  componentName?: string,
  organizationId?: string
): Promise<RecoveryStatisticsRow[]> {
  return await db.asCaller(
    caller,
    async tx => await actionStatistics(tx, since, until, componentName ?? null, organizationId ?? null)
  )
}

export type ApprovalDecisionKind = 'approve' | 'reject'

/**
 * An admin's decision on an action waiting for approval; anything else is 409. With four eyes,
 * the admin who asked for an action cannot approve it (403); rejecting it stays possible.
 */
export async function decideRecoveryAction(
  db: Db,
  caller: Identity,
  id: string,
  decision: ApprovalDecisionKind,
  notes: string | undefined,
  policy: Pick<ApprovalPolicy, 'fourEyes'>
): Promise<RecoveryActionRow> {
  return await db.asCaller(caller, async tx => {
    const current = await findRow<RecoveryActionRow>(tx, 'recovery_actions', id)
    if (current === undefined) throw new errors.RecoveryActionNotFound(`recovery action ${id} not found`)
    if (current.execution_status !== 'pending_approval') {
      throw new errors.ActionStateConflict(
        `recovery action ${id} is ${current.execution_status}, not waiting for approval`
      )
    }
    if (current.approval_expires_at !== null && Date.parse(current.approval_expires_at) <= Date.now()) {
      throw new errors.ApprovalExpired(`the approval window of recovery action ${id} has expired`)
    }
    if (
      decision === 'approve' &&
      policy.fourEyes &&
      current.triggered_by_user_id !== null &&
      current.triggered_by_user_id === caller.userId
    ) {
      throw new errors.FourEyesRequired(
        `recovery action ${id} was requested by you; another admin must approve it (four eyes, HEAL_FOUR_EYES)`
      )
    }
    const status = decision === 'approve' ? 'approved' : 'rejected'
    const decided = (await decideApproval(tx, id, {
      approval_status: status,
      execution_status: status,
      approval_notes: notes ?? null
    })) as RecoveryActionRow
    await audit(tx, {
      type: 'approval',
      actor: decided.approved_by ?? 'service',
      outcome: status,
      reasoning: notes ?? `${status} without notes`,
      action: decided
    })
    return decided
  })
}

export async function cancelRecoveryAction(
  db: Db,
  caller: Caller,
  id: string,
  reason: string | undefined
): Promise<RecoveryActionRow> {
  let row: RecoveryActionRow | undefined
  try {
    row = await db.asCaller(caller, async tx => await cancelAction(tx, id, reason ?? null))
  } catch (error) {
    // The lifecycle trigger refuses a move out of a final status; callers branch on the code
    // that execute, approve and roll back give the same refusal.
    if (isForbiddenMove(error)) throw new errors.ActionStateConflict(error.message)
    throw error
  }
  if (row === undefined) throw new errors.RecoveryActionNotFound(`recovery action ${id} not found`)
  return row
}
