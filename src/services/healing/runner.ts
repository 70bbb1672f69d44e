// One attempt of a claimed action: its target and the component's health before, the executor
// under the action's time limit (AbortSignal.timeout, so a hung target reports TIMEOUT), then
// the outcome written only while this instance still holds the lease. A retryable failure is
// scheduled with backoff; a final failure escalates; a success is queued for verification.
import { SERVICE_CALLER } from '../../db/caller.js'
import { latestHealth } from '../../db/component-health.js'
import { finishAction, lockLeased, recordExtras, scheduleRetry, type AttemptOutcome } from '../../db/healing-actions.js'
import { findRow } from '../../db/rows.js'
import { completeRollback } from '../../db/rollbacks.js'
import type { HealingMode } from '../../db/self-healing-mode.js'
import type { RecoveryActionRow } from '../../schemas/recovery-actions.js'
import { audit } from './audit.js'
import type { EngineContext } from './context.js'
import { getExecutor } from './executors/registry.js'
import { abortCode } from '../../lib/abort.js'
import { failure } from './executors/results.js'
import type { ExecutionRequest, ExecutionResult } from './executors/types.js'
import { handOff } from './handoff.js'
import { snapshot } from './measurement.js'
import { loadTarget } from './targets.js'
import { publishAttempt } from '../../telemetry.js'

export interface AttemptReport {
  id: string
  action_type: string
  /** The action's status after the attempt; lease_lost when another instance took it over meanwhile. */
  status: string
  error_code: string | null
  /** The engine's own time for the attempt, without the executor's. */
  engine_ms: number
  executor_ms: number
}

// Escalating hands a problem to people; judging it by the component's metrics would make no sense.
const UNVERIFIED_TYPES = new Set(['alert_escalation'])

function isInPlaceRollback(action: RecoveryActionRow): boolean {
  return action.trigger_type === 'rollback' && action.action_config.in_place === true
}

async function perform(
  ctx: EngineContext,
  action: RecoveryActionRow,
  request: ExecutionRequest
): Promise<ExecutionResult> {
  const executor = getExecutor(action.action_type)
  if (executor === undefined) return failure('UNKNOWN_ACTION_TYPE', `no executor runs ${action.action_type}`, false)
  try {
    if (isInPlaceRollback(action)) {
      if (executor.rollback === undefined)
        return failure('NO_ROLLBACK', `${action.action_type} cannot be undone in place`, false)
      return await executor.rollback(request)
    }
    return await executor.execute(request)
  } catch (error) {
    ctx.log.error({ err: error, actionId: action.id }, 'executor threw')
    const code = request.signal.aborted ? abortCode(request.signal) : 'EXECUTOR_ERROR'
    return failure(
      code,
      `${action.action_type} failed: ${error instanceof Error ? error.message : String(error)}`,
      true
    )
  }
}

function outcomeOf(result: ExecutionResult, status: AttemptOutcome['status']): AttemptOutcome {
  return {
    status,
    result: { ...result.result, simulated: result.simulated },
    output: result.output,
    error: result.error ?? null,
    errorCode: result.errorCode ?? null
  }
}

export async function runClaimed(
  ctx: EngineContext,
  action: RecoveryActionRow,
  mode: HealingMode,
  outer?: AbortSignal
): Promise<AttemptReport> {
  const started = performance.now()
  const dryRun = action.dry_run || (mode === 'dry_run' && action.trigger_type === 'automatic')
  const component = { organizationId: action.organization_id, componentName: action.target_component_name }
  const { target, before } = await ctx.db.asCaller(SERVICE_CALLER, async tx => ({
    target: await loadTarget(tx, component, ctx.secretsKey),
    before: action.pre_action_metrics === null && !dryRun ? await latestHealth(tx, component, null) : undefined
  }))

  const timeout = AbortSignal.timeout(action.timeout_seconds * 1000)
  const signal = outer === undefined ? timeout : AbortSignal.any([outer, timeout])
  const executorStarted = performance.now()
  const result = await perform(ctx, action, {
    actionId: action.id,
    actionType: action.action_type,
    organizationId: action.organization_id,
    componentName: action.target_component_name,
    parameters: action.action_parameters,
    attempt: action.attempt_number,
    target,
    dryRun,
    signal,
    policy: ctx.policy,
    allowSelfReset: ctx.config.allowSelfReset,
    db: ctx.db,
    channels: ctx.channels,
    log: ctx.log
  })
  const executorMs = performance.now() - executorStarted

  const verify =
    !dryRun &&
    result.success &&
    action.trigger_type !== 'rollback' &&
    !UNVERIFIED_TYPES.has(action.action_type) &&
    // A runbook step is verified by its run, against the runbook's own condition.
    action.runbook_run_id === null
  const finished = await ctx.db.asCaller(SERVICE_CALLER, async tx => {
    if (!(await lockLeased(tx, action.id, ctx.owner))) return undefined
    if (dryRun) await finishAction(tx, action.id, outcomeOf(result, 'dry_run'))
    else if (result.success) await finishAction(tx, action.id, outcomeOf(result, 'succeeded'))
    else if (result.retryable)
      await scheduleRetry(
        tx,
        action.id,
        result.error ?? result.output,
        result.errorCode ?? 'FAILED',
        outcomeOf(result, 'failed').result
      )
    else await finishAction(tx, action.id, outcomeOf(result, 'failed'))
    const notifications = Array.isArray(result.result.notifications)
      ? (result.result.notifications as Array<{ channel: string }>)
      : []
    await recordExtras(tx, action.id, {
      pre_action_metrics: before === undefined ? null : snapshot(before),
      notifications,
      notification_channels: notifications.map(n => n.channel),
      ...(verify ? { verification_due_ms: ctx.config.verificationDelayMs } : {})
    })
    if (!dryRun && result.success && action.trigger_type === 'rollback') await completeRollback(tx, action.id)
    const row = (await findRow<RecoveryActionRow>(tx, 'recovery_actions', action.id)) as RecoveryActionRow
    await audit(tx, {
      type: 'attempt',
      actor: ctx.owner,
      outcome: row.execution_status,
      reasoning: result.output,
      action,
      input: {
        attempt: action.attempt_number,
        max_attempts: action.max_attempts,
        dry_run: dryRun,
        target: target === null ? null : Object.keys(target)
      },
      decision: {
        success: result.success,
        simulated: result.simulated,
        error_code: result.errorCode ?? null,
        retryable: result.retryable,
        next_retry_at: row.next_retry_at
      },
      durationMs: Math.round(executorMs)
    })
    return row
  })

  publishAttempt({ actionType: action.action_type, status: finished?.execution_status ?? 'lease_lost' })
  if (finished?.execution_status === 'failed' && action.action_type !== 'alert_escalation') {
    await handOff(ctx, finished, {
      title: `${action.action_type} on ${action.target_component_name} failed`,
      reason: `${finished.execution_error_code ?? 'FAILED'} after ${finished.attempt_number} of ${finished.max_attempts} attempts: ${finished.execution_error ?? result.output}`
    })
  }
  return {
    id: action.id,
    action_type: action.action_type,
    status: finished?.execution_status ?? 'lease_lost',
    error_code: result.errorCode ?? null,
    engine_ms: performance.now() - started - executorMs,
    executor_ms: executorMs
  }
}
