// From open anomalies to recovery actions: each anomaly without an automatic action is mapped
// to one, the guards may hold it, risky types wait for approval. Decisions are taken one run
// at a time across instances (an advisory lock), so the guards count what is really there;
// the unique index on recovery_actions keeps an anomaly to one automatic action regardless.
// A held action is stored as cancelled with the guard's reason and escalated to people. An
// anomaly nothing can be decided for is skipped alone (skipped.ts).
import { randomUUID } from 'node:crypto'
import { SERVICE_CALLER } from '../../db/caller.js'
import type { Tx } from '../../db/client.js'
import {
  AUTOMATIC_ACTION_COLUMNS,
  insertAutomaticAction,
  linkAnomaly,
  lockDecisions,
  openAnomaliesWithoutAction,
  recentAutomatic,
  type RecentAutomatic
} from '../../db/healing-actions.js'
import { readMode, type HealingMode } from '../../db/self-healing-mode.js'
import type { AnomalyRow } from '../../schemas/anomalies.js'
import type { RecoveryActionRow } from '../../schemas/recovery-actions.js'
import { audit } from './audit.js'
import type { EngineContext } from './context.js'
import { getExecutor } from './executors/registry.js'
import type { Decision } from './decision.js'
import { holdFor, type Hold } from './guards.js'
import { chooseAction, type ActionChoice } from './mapping.js'
import { loadTarget } from './targets.js'
import { withRollbackVersion } from '../silences/deployments.js'
import { holdIfSilenced, silenceHolding, type SilenceHold } from '../silences/hold.js'
import { previewRunbook, startRunbook } from '../runbooks/start.js'
import { skipOnFailure, type Skipped } from './skipped.js'

export type { Decision }

// A dry run does not touch the network; the limit only bounds a misbehaving executor.
const PREVIEW_TIMEOUT_MS = 5000

interface Held {
  action: RecoveryActionRow
  severity: AnomalyRow['severity']
  reason: string
}

export interface DecisionRun {
  mode: HealingMode
  decisions: Decision[]
  /** Actions a guard held, to escalate once the decisions are committed. */
  held: Held[]
  /** Anomalies nothing could be decided for; the others were decided. */
  skipped: Skipped[]
}

/** What one anomaly got, and the held action to escalate if a guard held it. */
interface Decided {
  decision: Decision
  held: Held | null
}

function componentOf(anomaly: AnomalyRow): string {
  return anomaly.source_component_name ?? anomaly.source_type
}

function actionRow(
  ctx: EngineContext,
  anomaly: AnomalyRow,
  choice: ActionChoice,
  mode: HealingMode,
  held: Hold | null
): Record<string, unknown> {
  const dryRun = mode === 'dry_run'
  const requiresApproval = held === null && !dryRun && ctx.config.approvalTypes.includes(choice.actionType)
  return {
    user_id: anomaly.user_id,
    organization_id: anomaly.organization_id,
    action_type: choice.actionType,
    action_category: 'automatic',
    action_name: `${choice.actionType} for ${anomaly.anomaly_type}`,
    action_description: `Chosen by the healing map (${choice.rule}) for a ${anomaly.severity} ${anomaly.anomaly_type}`,
    trigger_type: 'automatic',
    triggered_by_anomaly_id: anomaly.id,
    trigger_reason: anomaly.anomaly_summary ?? `${anomaly.severity} ${anomaly.anomaly_type} on ${componentOf(anomaly)}`,
    target_component_type: anomaly.source_component_type ?? undefined,
    target_component_name: componentOf(anomaly),
    action_parameters: choice.parameters,
    dry_run: dryRun,
    requires_approval: requiresApproval,
    approval_expires_at: requiresApproval ? new Date(Date.now() + ctx.config.approvalTtlMs) : undefined,
    affected_components: anomaly.affected_components,
    execution_context: {
      mapping_rule: choice.rule,
      mode,
      ...(held === null ? {} : { held_by: held.guard, held_reason: held.reason })
    },
    ...(held === null
      ? {}
      : {
          execution_status: 'cancelled',
          execution_completed_at: new Date(),
          execution_output: `held by the ${held.guard} guard: ${held.reason}`,
          execution_error_code: `HELD_${held.guard.toUpperCase()}`
        })
  }
}

interface Plan {
  choice: ActionChoice
  component: string
  recent: RecentAutomatic
  hold: Hold | null
}

async function plan(ctx: EngineContext, tx: Tx, anomaly: AnomalyRow, mode: HealingMode): Promise<Plan> {
  const mapped = chooseAction(anomaly, ctx.config)
  const component = componentOf(anomaly)
  const parameters = await withRollbackVersion(
    tx,
    anomaly.organization_id,
    component,
    mapped.actionType,
    mapped.parameters
  )
  const choice = { ...mapped, parameters }
  const recent = await recentAutomatic(
    tx,
    { organizationId: anomaly.organization_id, componentName: component },
    choice.actionType,
    ctx.config.cooldownMs
  )
  const hold = holdFor(
    { mode, flapping: anomaly.flapping, componentName: component, actionType: choice.actionType, recent },
    ctx.config
  )
  return { choice, component, recent, hold }
}

function decisionOf(
  anomaly: AnomalyRow,
  { choice, component, hold }: Plan,
  requiresApproval: boolean,
  action: RecoveryActionRow | null
): Decision {
  return {
    anomaly_id: anomaly.id,
    component_name: component,
    anomaly_type: anomaly.anomaly_type,
    severity: anomaly.severity,
    action_type: choice.actionType,
    rule: choice.rule,
    held_by: hold?.guard ?? null,
    silence_id: null,
    reason: hold?.reason ?? `mapped by ${choice.rule}`,
    requires_approval: requiresApproval,
    action_id: action?.id ?? null,
    execution_status: action?.execution_status ?? null,
    simulation: null
  }
}

/** A signal a silence holds: nothing is stored for it, nothing escalated, until the hold ends. */
function silencedDecision(ctx: EngineContext, anomaly: AnomalyRow, hold: SilenceHold): Decision {
  const choice = chooseAction(anomaly, ctx.config)
  return {
    anomaly_id: anomaly.id,
    component_name: componentOf(anomaly),
    anomaly_type: anomaly.anomaly_type,
    severity: anomaly.severity,
    action_type: choice.actionType,
    rule: choice.rule,
    held_by: 'silence',
    silence_id: hold.silence_id,
    reason: `held by silence ${hold.silence_id} until ${hold.until.toISOString()}: ${hold.comment}`,
    requires_approval: false,
    action_id: null,
    execution_status: null,
    simulation: null
  }
}

async function decideOne(
  ctx: EngineContext,
  tx: Tx,
  anomaly: AnomalyRow,
  mode: HealingMode
): Promise<Decided | undefined> {
  const silenced = await holdIfSilenced(tx, anomaly, new Date(), ctx.owner)
  if (silenced !== null) return { decision: silencedDecision(ctx, anomaly, silenced), held: null }
  const started = await startRunbook(ctx, tx, anomaly, mode)
  if (started !== undefined) {
    return {
      decision: started.decision,
      held: started.held === null ? null : { ...started.held, severity: anomaly.severity }
    }
  }
  const planned = await plan(ctx, tx, anomaly, mode)
  const { choice, recent, hold } = planned
  const action = await insertAutomaticAction(tx, actionRow(ctx, anomaly, choice, mode, hold), AUTOMATIC_ACTION_COLUMNS)
  if (action === undefined) return undefined
  await linkAnomaly(tx, anomaly.id, action.id, null)
  const reason = hold?.reason ?? `mapped by ${choice.rule}`
  await audit(
    tx,
    {
      type: hold === null ? 'action_chosen' : 'guard_held',
      actor: ctx.owner,
      outcome: hold === null ? action.execution_status : `held_${hold.guard}`,
      reasoning: reason,
      action,
      input: {
        anomaly_id: anomaly.id,
        anomaly_type: anomaly.anomaly_type,
        severity: anomaly.severity,
        flapping: anomaly.flapping,
        mode,
        recent
      },
      decision: {
        action_type: choice.actionType,
        rule: choice.rule,
        held_by: hold?.guard ?? null,
        requires_approval: action.requires_approval,
        dry_run: action.dry_run
      }
    },
    ...(action.requires_approval
      ? [
          {
            type: 'approval' as const,
            actor: ctx.owner,
            outcome: 'requested',
            reasoning: `${choice.actionType} is a type that waits for an admin`,
            action,
            decision: { approval_expires_at: action.approval_expires_at }
          }
        ]
      : [])
  )
  return {
    decision: decisionOf(anomaly, planned, action.requires_approval, action),
    held: hold === null ? null : { action, severity: anomaly.severity, reason: hold.reason }
  }
}

/** Maps open anomalies (one, or up to `limit`) to stored automatic actions. */
export async function decide(ctx: EngineContext, anomalyId: string | null, limit: number): Promise<DecisionRun> {
  return await ctx.db.asCaller(SERVICE_CALLER, async tx => {
    await lockDecisions(tx)
    const mode = (await readMode(tx)).mode
    const run: DecisionRun = { mode, decisions: [], held: [], skipped: [] }
    for (const anomaly of await openAnomaliesWithoutAction(tx, anomalyId, limit, ctx.config.maxEvidenceAgeMs)) {
      const decided = await skipOnFailure(
        ctx,
        tx,
        anomaly,
        run.skipped,
        { record: true },
        async savepoint => await decideOne(ctx, savepoint, anomaly, mode)
      )
      if (decided === undefined) continue
      run.decisions.push(decided.decision)
      if (decided.held !== null) run.held.push(decided.held)
    }
    return run
  })
}

async function previewOne(ctx: EngineContext, tx: Tx, anomaly: AnomalyRow, mode: HealingMode): Promise<Decision> {
  const silenced = await silenceHolding(tx, anomaly, new Date())
  if (silenced !== null) return silencedDecision(ctx, anomaly, silenced)
  const runbook = await previewRunbook(ctx, tx, anomaly, mode)
  if (runbook !== undefined) return runbook
  const planned = await plan(ctx, tx, anomaly, mode)
  const decision = decisionOf(
    anomaly,
    planned,
    planned.hold === null && ctx.config.approvalTypes.includes(planned.choice.actionType),
    null
  )
  if (planned.hold === null) {
    const simulated = await getExecutor(planned.choice.actionType)?.execute({
      actionId: randomUUID(),
      actionType: planned.choice.actionType,
      organizationId: anomaly.organization_id,
      componentName: planned.component,
      parameters: planned.choice.parameters,
      attempt: 1,
      target: await loadTarget(
        tx,
        { organizationId: anomaly.organization_id, componentName: planned.component },
        ctx.secretsKey
      ),
      dryRun: true,
      signal: AbortSignal.timeout(PREVIEW_TIMEOUT_MS),
      policy: ctx.policy,
      channels: ctx.channels
    })
    decision.simulation = simulated?.output ?? null
  }
  return decision
}

/**
 * What decide would do, without storing, sending or escalating anything: each decision carries
 * what its executor would do, from a dry run against the component's registered target. An
 * anomaly whose preview fails is skipped alone, and only logged: a preview records nothing.
 */
export async function preview(
  ctx: EngineContext,
  anomalyId: string | null,
  limit: number
): Promise<{ mode: HealingMode; decisions: Decision[]; skipped: Skipped[] }> {
  return await ctx.db.asCaller(SERVICE_CALLER, async tx => {
    const mode = (await readMode(tx)).mode
    const decisions: Decision[] = []
    const skipped: Skipped[] = []
    for (const anomaly of await openAnomaliesWithoutAction(tx, anomalyId, limit, ctx.config.maxEvidenceAgeMs)) {
      const decision = await skipOnFailure(
        ctx,
        tx,
        anomaly,
        skipped,
        { record: false },
        async savepoint => await previewOne(ctx, savepoint, anomaly, mode)
      )
      if (decision !== undefined) decisions.push(decision)
    }
    return { mode, decisions, skipped }
  })
}
