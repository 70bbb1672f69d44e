// A step begins as a recovery action linked to its run and step index: queued like any
// automatic action (the guards may hold it, risky types wait for approval, the queue runs it
// under a lease with retries). The link's unique index makes a second begin of the same step a
// no-op, so a step acts once whoever advances the run. Callers hold the decisions lock, so the
// guards count what is really there.
import type { Tx } from '../../db/client.js'
import { AUTOMATIC_ACTION_COLUMNS } from '../../db/healing-actions.js'
import { insertStep, insertStepAction } from '../../db/runbook-runs.js'
import type { HealingMode } from '../../db/self-healing-mode.js'
import type { RecoveryActionRow } from '../../schemas/recovery-actions.js'
import type { RunbookDocumentValue, RunbookRunRow } from '../../schemas/runbooks.js'
import { audit } from '../healing/audit.js'
import type { EngineContext } from '../healing/context.js'
import type { Hold } from '../healing/guards.js'
import { durationSeconds } from './durations.js'
import { stepHold } from './plan.js'

export interface StepStart {
  action: RecoveryActionRow
  hold: Hold | null
}

export interface StepContext {
  run: RunbookRunRow
  document: RunbookDocumentValue
  userId: string | null
  flapping: boolean
  reason: string
}

function actionRow(
  ctx: EngineContext,
  { run, document, userId, reason }: StepContext,
  mode: HealingMode,
  hold: Hold | null
): Record<string, unknown> {
  const step = document.steps[run.current_step] as RunbookDocumentValue['steps'][number]
  const dryRun = mode === 'dry_run'
  const requiresApproval = hold === null && !dryRun && ctx.config.approvalTypes.includes(step.action)
  const label = `runbook ${run.runbook_name} v${run.runbook_version} step ${run.current_step + 1} of ${document.steps.length}`
  return {
    user_id: userId,
    organization_id: run.organization_id,
    action_type: step.action,
    action_category: 'automatic',
    action_name: step.name ?? `${step.action} (${label})`,
    action_description: `${label}: ${step.action}`,
    trigger_type: 'automatic',
    trigger_reason: reason,
    target_component_type: run.component_type ?? undefined,
    target_component_name: run.component_name,
    action_parameters: step.parameters ?? {},
    timeout_seconds: step.timeout === undefined ? undefined : durationSeconds(step.timeout),
    dry_run: dryRun,
    requires_approval: requiresApproval,
    approval_expires_at: requiresApproval ? new Date(Date.now() + ctx.config.approvalTtlMs) : undefined,
    execution_context: {
      runbook: run.runbook_name,
      runbook_version: run.runbook_version,
      mode,
      ...(hold === null ? {} : { held_by: hold.guard, held_reason: hold.reason })
    },
    runbook_run_id: run.id,
    runbook_step: run.current_step,
    ...(hold === null
      ? {}
      : {
          execution_status: 'cancelled',
          execution_completed_at: new Date(),
          execution_output: `held by the ${hold.guard} guard: ${hold.reason}`,
          execution_error_code: `HELD_${hold.guard.toUpperCase()}`
        })
  }
}

/** Queues the run's current step; undefined when that step had already begun. */
export async function beginStep(
  ctx: EngineContext,
  tx: Tx,
  step: StepContext,
  mode: HealingMode
): Promise<StepStart | undefined> {
  const { run, document } = step
  const definition = document.steps[run.current_step] as RunbookDocumentValue['steps'][number]
  const { hold, recent } = await stepHold(
    ctx,
    tx,
    { key: { organizationId: run.organization_id, componentName: run.component_name }, flapping: step.flapping },
    definition.action,
    mode
  )
  const action = await insertStepAction(tx, actionRow(ctx, step, mode, hold), AUTOMATIC_ACTION_COLUMNS)
  if (action === undefined) return undefined
  await insertStep(tx, {
    run_id: run.id,
    step_index: run.current_step,
    organization_id: run.organization_id,
    name: definition.name ?? null,
    action_type: definition.action,
    status: hold === null ? 'acting' : 'held',
    action_id: action.id
  })
  await audit(tx, {
    type: hold === null ? 'action_chosen' : 'guard_held',
    actor: ctx.owner,
    outcome: hold === null ? action.execution_status : `held_${hold.guard}`,
    reasoning: hold?.reason ?? `runbook ${run.runbook_name} v${run.runbook_version} step ${run.current_step + 1}`,
    action,
    input: { runbook_run_id: run.id, step: run.current_step, anomaly_id: run.anomaly_id, mode, recent },
    decision: {
      action_type: definition.action,
      held_by: hold?.guard ?? null,
      requires_approval: action.requires_approval,
      dry_run: action.dry_run
    }
  })
  return { action, hold }
}
