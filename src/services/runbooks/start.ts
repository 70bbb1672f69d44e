// Where the engine prefers a runbook over the mapping: an open anomaly of an organization that
// has an enabled runbook whose trigger covers it starts a run of that runbook (the first such
// runbook by name) and its first step, in the decision's own transaction; the mapping
// (HEAL_ACTION_MAP and the seed's table) decides for everything else. In dry_run mode the run
// records what each step would do and ends, acting on nothing.
import type { Tx } from '../../db/client.js'
import { insertRun, insertStep } from '../../db/runbook-runs.js'
import { latestRunbooks } from '../../db/runbooks.js'
import type { HealingMode } from '../../db/self-healing-mode.js'
import type { AnomalyRow } from '../../schemas/anomalies.js'
import type { RecoveryActionRow } from '../../schemas/recovery-actions.js'
import type { RunbookRow } from '../../schemas/runbooks.js'
import type { EngineContext } from '../healing/context.js'
import type { Decision } from '../healing/decision.js'
import type { GuardName } from '../healing/guards.js'
import { describePlan, planSteps, type Subject } from './plan.js'
import { beginStep } from './step-action.js'
import { triggerMatches } from './trigger.js'

export interface Started {
  decision: Decision
  /** A step a guard held, for the engine to escalate once the decision is committed. */
  held: { action: RecoveryActionRow; reason: string } | null
}

function componentOf(anomaly: AnomalyRow): string {
  return anomaly.source_component_name ?? anomaly.source_type
}

function subjectOf(anomaly: AnomalyRow & { organization_id: string }): Subject {
  return {
    key: { organizationId: anomaly.organization_id, componentName: componentOf(anomaly) },
    flapping: anomaly.flapping
  }
}

/** The organization's first enabled runbook (by name) whose trigger covers the anomaly. */
export async function runbookFor(tx: Tx, anomaly: AnomalyRow): Promise<RunbookRow | undefined> {
  if (anomaly.organization_id === null) return undefined
  const runbooks = await latestRunbooks(tx, anomaly.organization_id)
  return runbooks.find(
    runbook =>
      runbook.enabled &&
      triggerMatches(runbook.document.trigger, {
        anomaly_type: anomaly.anomaly_type,
        severity: anomaly.severity,
        component_name: componentOf(anomaly),
        component_type: anomaly.source_component_type
      })
  )
}

function decisionFor(anomaly: AnomalyRow, runbook: RunbookRow, fields: Partial<Decision>): Decision {
  return {
    anomaly_id: anomaly.id,
    component_name: componentOf(anomaly),
    anomaly_type: anomaly.anomaly_type,
    severity: anomaly.severity,
    action_type: runbook.document.steps[0]?.action ?? '',
    rule: `runbook:${runbook.name}@${runbook.version}`,
    held_by: null,
    silence_id: null,
    reason: `runbook ${runbook.name} v${runbook.version} (${runbook.document.steps.length} steps)`,
    requires_approval: false,
    action_id: null,
    execution_status: null,
    simulation: null,
    ...fields
  }
}

/**
 * Starts the matching runbook's run for the anomaly, if there is one: undefined means the
 * mapping decides. Called under the decisions lock.
 */
export async function startRunbook(
  ctx: EngineContext,
  tx: Tx,
  anomaly: AnomalyRow,
  mode: HealingMode
): Promise<Started | undefined> {
  const runbook = await runbookFor(tx, anomaly)
  if (runbook === undefined || anomaly.organization_id === null) return undefined
  const subject = subjectOf({ ...anomaly, organization_id: anomaly.organization_id })
  const simulated = mode === 'dry_run' ? await planSteps(ctx, tx, runbook.document, subject, mode) : undefined
  const run = await insertRun(tx, {
    organization_id: anomaly.organization_id,
    runbook_id: runbook.id,
    runbook_name: runbook.name,
    runbook_version: runbook.version,
    anomaly_id: anomaly.id,
    component_name: subject.key.componentName,
    component_type: anomaly.source_component_type,
    status: simulated === undefined ? 'running' : 'dry_run',
    outcome: simulated === undefined ? null : 'the healing mode is dry_run: every step simulated, nothing executed'
  })
  if (run === undefined) return undefined
  if (simulated !== undefined) {
    for (const step of simulated) {
      await insertStep(tx, {
        run_id: run.id,
        step_index: step.index,
        organization_id: run.organization_id,
        name: step.name,
        action_type: step.action,
        status: 'simulated',
        action_id: null
      })
    }
    return { decision: decisionFor(anomaly, runbook, { simulation: describePlan(simulated) }), held: null }
  }
  const begun = await beginStep(
    ctx,
    tx,
    {
      run,
      document: runbook.document,
      userId: anomaly.user_id,
      flapping: anomaly.flapping,
      reason: anomaly.anomaly_summary ?? `${anomaly.severity} ${anomaly.anomaly_type} on ${run.component_name}`
    },
    mode
  )
  if (begun === undefined) return undefined
  const { action, hold } = begun
  return {
    decision: decisionFor(anomaly, runbook, {
      held_by: hold?.guard ?? null,
      reason:
        hold?.reason ??
        `runbook ${runbook.name} v${runbook.version}, run ${run.id}: step 1 of ${runbook.document.steps.length}`,
      requires_approval: action.requires_approval,
      action_id: action.id,
      execution_status: action.execution_status
    }),
    held: hold === null ? null : { action, reason: hold.reason }
  }
}

/** What startRunbook would do for the anomaly, storing nothing. */
export async function previewRunbook(
  ctx: EngineContext,
  tx: Tx,
  anomaly: AnomalyRow,
  mode: HealingMode
): Promise<Decision | undefined> {
  const runbook = await runbookFor(tx, anomaly)
  if (runbook === undefined || anomaly.organization_id === null) return undefined
  const planned = await planSteps(
    ctx,
    tx,
    runbook.document,
    subjectOf({ ...anomaly, organization_id: anomaly.organization_id }),
    mode
  )
  const first = planned[0]
  return decisionFor(anomaly, runbook, {
    held_by: (first?.held_by ?? null) as GuardName | null,
    reason: first?.hold_reason ?? `runbook ${runbook.name} v${runbook.version} (${planned.length} steps)`,
    requires_approval: first?.requires_approval ?? false,
    simulation: describePlan(planned)
  })
}
