// The runbook driver, on each heal tick: every unfinished run that is due moves as far as it can,
// one transaction per run with the run row locked (SKIP LOCKED), so two instances never move one
// run at once and a move is committed whole or not at all. A run's current step goes
//   acting     (its recovery action is queued or running) -> verifying once the action succeeded
//   verifying  (after the step's wait) -> passed when the newest event meets the condition,
//              failed when the window passes without it
// A passed verification ends the run as succeeded and resolves its anomaly; a step without a
// verification passes once its wait is over and the run goes on. A failed step (its action
// failed, was rejected or held, or did not verify) does what its on_failure says: the next step,
// stop, escalate, or roll back the earlier steps and escalate. Escalations and rollbacks go out
// after the move is committed; a run rolling back stays due until its rollbacks exist.
import { SERVICE_CALLER } from '../../db/caller.js'
import type { Tx } from '../../db/client.js'
import { latestHealth } from '../../db/component-health.js'
import { lockDecisions } from '../../db/healing-actions.js'
import { findRow } from '../../db/rows.js'
import { lockDueRun, stepsOf, undoableActions, updateRun, updateStep, type StepRow } from '../../db/runbook-runs.js'
import { findRunbookById } from '../../db/runbooks.js'
import { readMode } from '../../db/self-healing-mode.js'
import { resolveAnomaly } from '../../db/verifications.js'
import type { AnomalyRow } from '../../schemas/anomalies.js'
import type { RecoveryActionRow } from '../../schemas/recovery-actions.js'
import type { RunbookDocumentValue, RunbookRunRow } from '../../schemas/runbooks.js'
import { audit } from '../healing/audit.js'
import type { EngineContext } from '../healing/context.js'
import { handOff } from '../healing/handoff.js'
import { createRollback } from '../healing/rollback.js'
import { evaluate } from './condition.js'
import { durationSeconds } from './durations.js'
import { beginStep } from './step-action.js'

// How often a waiting run is looked at again; the heal tick bounds it from below.
const POLL_SECONDS = 1
// A run rolling back is not due again for this long while this instance creates its rollbacks.
const ROLLBACK_HOLD_SECONDS = 60
const UNFINISHED = new Set(['pending', 'pending_approval', 'approved', 'running', 'retry_scheduled'])

export interface RunProgress {
  run_id: string
  runbook: string
  step: number
  status: RunbookRunRow['status']
  outcome: string | null
}

type AfterCommit = () => Promise<void>

interface Move {
  run: RunbookRunRow
  after: AfterCommit[]
}

type Step = RunbookDocumentValue['steps'][number]

function escalation(ctx: EngineContext, action: RecoveryActionRow, run: RunbookRunRow, reason: string): AfterCommit {
  return async () => {
    await handOff(ctx, action, {
      title: `runbook ${run.runbook_name} on ${run.component_name} needs a person`,
      reason
    })
  }
}

async function stepFailed(
  ctx: EngineContext,
  tx: Tx,
  run: RunbookRunRow,
  document: RunbookDocumentValue,
  action: RecoveryActionRow,
  reason: string
): Promise<Move> {
  const step = document.steps[run.current_step] as Step
  const policy = step.on_failure ?? 'next'
  const at = `step ${run.current_step + 1} (${step.action}) failed: ${reason}`
  const last = run.current_step + 1 >= document.steps.length
  if (policy === 'next' && !last)
    return { run: await updateRun(tx, run.id, { current_step: run.current_step + 1, outcome: at }), after: [] }
  if (policy === 'stop')
    return { run: await updateRun(tx, run.id, { status: 'stopped', outcome: `${at}; stopped` }), after: [] }
  if (policy === 'rollback') {
    return {
      run: await updateRun(tx, run.id, { status: 'rolling_back', outcome: `${at}; rolling back the earlier steps` }),
      after: []
    }
  }
  const outcome = last && policy === 'next' ? `${at}; no step left` : `${at}; escalated`
  const status = policy === 'escalate' ? 'escalated' : 'failed'
  return { run: await updateRun(tx, run.id, { status, outcome }), after: [escalation(ctx, action, run, outcome)] }
}

async function succeed(tx: Tx, run: RunbookRunRow, outcome: string): Promise<RunbookRunRow> {
  if (run.anomaly_id !== null)
    await resolveAnomaly(
      tx,
      run.anomaly_id,
      `resolved by runbook ${run.runbook_name} v${run.runbook_version}: ${outcome}`
    )
  return await updateRun(tx, run.id, { status: 'succeeded', outcome })
}

async function begin(ctx: EngineContext, tx: Tx, run: RunbookRunRow, document: RunbookDocumentValue): Promise<Move> {
  await lockDecisions(tx)
  const mode = (await readMode(tx)).mode
  const anomaly = run.anomaly_id === null ? undefined : await findRow<AnomalyRow>(tx, 'anomaly_signals', run.anomaly_id)
  const begun = await beginStep(
    ctx,
    tx,
    {
      run,
      document,
      userId: anomaly?.user_id ?? null,
      flapping: anomaly?.flapping ?? false,
      reason: `runbook ${run.runbook_name}: ${run.outcome ?? 'next step'}`
    },
    mode
  )
  if (begun?.hold == null) return { run: await updateRun(tx, run.id, { recheck_seconds: POLL_SECONDS }), after: [] }
  const outcome = `step ${run.current_step + 1} (${begun.action.action_type}) held by the ${begun.hold.guard} guard: ${begun.hold.reason}`
  return {
    run: await updateRun(tx, run.id, { status: 'held', outcome }),
    after: [escalation(ctx, begun.action, run, outcome)]
  }
}

async function acting(
  ctx: EngineContext,
  tx: Tx,
  run: RunbookRunRow,
  document: RunbookDocumentValue,
  action: RecoveryActionRow
): Promise<Move> {
  const step = document.steps[run.current_step] as Step
  if (UNFINISHED.has(action.execution_status))
    return { run: await updateRun(tx, run.id, { recheck_seconds: POLL_SECONDS }), after: [] }
  if (action.execution_status === 'dry_run') {
    await updateStep(tx, run.id, run.current_step, { status: 'simulated' })
    return {
      run: await updateRun(tx, run.id, { status: 'dry_run', outcome: 'the healing mode turned dry_run: simulated' }),
      after: []
    }
  }
  if (action.execution_status !== 'succeeded') {
    await updateStep(tx, run.id, run.current_step, { status: 'failed' })
    return await stepFailed(
      ctx,
      tx,
      run,
      document,
      action,
      `its action ${action.id} ended ${action.execution_status}${action.execution_error_code === null ? '' : ` (${action.execution_error_code})`}`
    )
  }
  const from = new Date(
    new Date(action.execution_completed_at ?? Date.now()).getTime() + durationSeconds(step.wait) * 1000
  )
  const until = new Date(from.getTime() + durationSeconds(step.verify?.within) * 1000)
  await updateStep(tx, run.id, run.current_step, { status: 'verifying', verify_from: from, verify_until: until })
  return { run: await updateRun(tx, run.id, { recheck_seconds: 0 }), after: [] }
}

async function verifying(
  ctx: EngineContext,
  tx: Tx,
  run: RunbookRunRow,
  document: RunbookDocumentValue,
  current: StepRow,
  action: RecoveryActionRow
): Promise<Move> {
  const step = document.steps[run.current_step] as Step
  const from = new Date(current.verify_from as string)
  const until = new Date(current.verify_until as string)
  const now = Date.now()
  if (step.verify === undefined) {
    if (now < from.getTime())
      return { run: await updateRun(tx, run.id, { recheck_seconds: (from.getTime() - now) / 1000 }), after: [] }
    await updateStep(tx, run.id, run.current_step, { status: 'passed' })
    if (run.current_step + 1 < document.steps.length)
      return { run: await updateRun(tx, run.id, { current_step: run.current_step + 1 }), after: [] }
    return { run: await succeed(tx, run, `all ${document.steps.length} steps done`), after: [] }
  }
  if (now < from.getTime())
    return { run: await updateRun(tx, run.id, { recheck_seconds: (from.getTime() - now) / 1000 }), after: [] }
  const event = await latestHealth(
    tx,
    { organizationId: run.organization_id, componentName: run.component_name },
    from.toISOString()
  )
  const result = evaluate(step.verify, event)
  const expired = now >= until.getTime()
  if (!result.passed && !expired)
    return {
      run: await updateRun(tx, run.id, { recheck_seconds: Math.min(POLL_SECONDS, (until.getTime() - now) / 1000) }),
      after: []
    }
  await updateStep(tx, run.id, run.current_step, { status: result.passed ? 'passed' : 'failed', verification: result })
  await audit(tx, {
    type: 'verification',
    actor: ctx.owner,
    outcome: result.passed ? 'verified' : 'not_improved',
    reasoning: result.passed ? result.reason : `${result.reason} within ${result.within_seconds} s`,
    action,
    input: { runbook_run_id: run.id, step: run.current_step, verify_from: from, verify_until: until },
    decision: result
  })
  if (result.passed)
    return {
      run: await succeed(tx, run, `step ${run.current_step + 1} (${step.action}) verified: ${result.reason}`),
      after: []
    }
  return await stepFailed(ctx, tx, run, document, action, `not verified within ${step.verify.within}: ${result.reason}`)
}

async function rollingBack(ctx: EngineContext, tx: Tx, run: RunbookRunRow): Promise<Move> {
  const undoable = await undoableActions(tx, run.id)
  const held = await updateRun(tx, run.id, { recheck_seconds: ROLLBACK_HOLD_SECONDS })
  const reason = `runbook ${run.runbook_name} v${run.runbook_version}: ${run.outcome ?? 'a step failed'}`
  return {
    run: held,
    after: [
      async () => {
        const notes: string[] = []
        for (const action of undoable) {
          try {
            const pair = await createRollback(ctx, action.id, reason, { id: ctx.owner, userId: null })
            notes.push(`${action.action_type} rolled back by ${pair.rollback_action.id}`)
          } catch (error) {
            notes.push(
              `${action.action_type} not rolled back: ${error instanceof Error ? error.message : String(error)}`
            )
          }
        }
        const outcome = `${reason}; ${notes.length === 0 ? 'nothing to roll back' : notes.join('; ')}`
        const last = await ctx.db.asCaller(SERVICE_CALLER, async tx => {
          await updateRun(tx, run.id, { status: 'rolled_back', outcome })
          const [latest] = (await stepsOf(tx, run.id)).slice(-1)
          return latest?.action_id == null
            ? undefined
            : await findRow<RecoveryActionRow>(tx, 'recovery_actions', latest.action_id)
        })
        if (last !== undefined) await escalation(ctx, last, run, outcome)()
      }
    ]
  }
}

async function advance(ctx: EngineContext, tx: Tx, run: RunbookRunRow): Promise<Move> {
  if (run.status === 'rolling_back') return await rollingBack(ctx, tx, run)
  const runbook = await findRunbookById(tx, run.runbook_id)
  if (runbook === undefined)
    return { run: await updateRun(tx, run.id, { status: 'failed', outcome: 'its runbook is gone' }), after: [] }
  const document = runbook.document
  const current = (await stepsOf(tx, run.id)).find(step => step.step_index === run.current_step)
  if (current === undefined) return await begin(ctx, tx, run, document)
  const action =
    current.action_id === null ? undefined : await findRow<RecoveryActionRow>(tx, 'recovery_actions', current.action_id)
  if (action === undefined)
    return { run: await updateRun(tx, run.id, { status: 'failed', outcome: "its step's action is gone" }), after: [] }
  if (current.status === 'acting') return await acting(ctx, tx, run, document, action)
  if (current.status === 'verifying') return await verifying(ctx, tx, run, document, current, action)
  return { run: await updateRun(tx, run.id, { status: 'failed', outcome: `step left ${current.status}` }), after: [] }
}

/** Moves up to `limit` due runs; what each became. */
export async function advanceRunbookRuns(ctx: EngineContext, limit: number): Promise<RunProgress[]> {
  const moved: RunProgress[] = []
  const seen: string[] = []
  while (moved.length < limit) {
    const move = await ctx.db.asCaller(SERVICE_CALLER, async tx => {
      const run = await lockDueRun(tx, seen)
      return run === undefined ? undefined : await advance(ctx, tx, run)
    })
    if (move === undefined) break
    seen.push(move.run.id)
    for (const effect of move.after) await effect()
    moved.push({
      run_id: move.run.id,
      runbook: move.run.runbook_name,
      step: move.run.current_step,
      status: move.run.status,
      outcome: move.run.outcome
    })
  }
  return moved
}
