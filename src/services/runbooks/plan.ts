// What a runbook would do to a component now, executing nothing: for each step, the guard that
// would hold it, whether it waits for approval, what its executor would do (its own dry run
// against the registered target, which touches no network) and how its verification reads
// against the component's newest health event. The dry-run route, the engine's preview and the
// engine's dry_run mode all show this.
import { randomUUID } from 'node:crypto'
import type { Tx } from '../../db/client.js'
import { latestHealth } from '../../db/component-health.js'
import { recentAutomatic } from '../../db/healing-actions.js'
import type { ComponentKey } from '../../db/organization-key.js'
import type { HealingMode } from '../../db/self-healing-mode.js'
import type { RunbookDocumentValue, RunbookStepValue } from '../../schemas/runbooks.js'
import type { EngineContext } from '../healing/context.js'
import { getExecutor } from '../healing/executors/registry.js'
import { holdFor, type Hold } from '../healing/guards.js'
import { loadTarget } from '../healing/targets.js'
import { evaluate, type VerificationResult } from './condition.js'
import { durationSeconds } from './durations.js'

// A dry run does not touch the network; the limit only bounds a misbehaving executor.
const PREVIEW_TIMEOUT_MS = 5000

export interface PlannedStep {
  index: number
  name: string | null
  action: string
  parameters: Record<string, unknown>
  held_by: string | null
  hold_reason: string | null
  requires_approval: boolean
  simulation: string | null
  wait_seconds: number
  on_failure: NonNullable<RunbookStepValue['on_failure']>
  verification: VerificationResult | null
}

export interface Subject {
  key: ComponentKey & { organizationId: string }
  flapping: boolean
}

/** The guard that would hold `actionType` on the component now, if any. */
export async function stepHold(
  ctx: EngineContext,
  tx: Tx,
  subject: Subject,
  actionType: string,
  mode: HealingMode
): Promise<{ hold: Hold | null; recent: Awaited<ReturnType<typeof recentAutomatic>> }> {
  const recent = await recentAutomatic(tx, subject.key, actionType, ctx.config.cooldownMs)
  const hold = holdFor(
    { mode, flapping: subject.flapping, componentName: subject.key.componentName, actionType, recent },
    ctx.config
  )
  return { hold, recent }
}

export async function planSteps(
  ctx: EngineContext,
  tx: Tx,
  document: RunbookDocumentValue,
  subject: Subject,
  mode: HealingMode
): Promise<PlannedStep[]> {
  const target = await loadTarget(tx, subject.key, ctx.secretsKey)
  const latest = await latestHealth(tx, subject.key, null)
  const planned: PlannedStep[] = []
  for (const [index, step] of document.steps.entries()) {
    const { hold } = await stepHold(ctx, tx, subject, step.action, mode)
    const parameters = step.parameters ?? {}
    const simulated =
      hold === null
        ? await getExecutor(step.action)?.execute({
            actionId: randomUUID(),
            actionType: step.action,
            organizationId: subject.key.organizationId,
            componentName: subject.key.componentName,
            parameters,
            attempt: 1,
            target,
            dryRun: true,
            signal: AbortSignal.timeout(PREVIEW_TIMEOUT_MS),
            policy: ctx.policy,
            channels: ctx.channels
          })
        : undefined
    planned.push({
      index,
      name: step.name ?? null,
      action: step.action,
      parameters,
      held_by: hold?.guard ?? null,
      hold_reason: hold?.reason ?? null,
      requires_approval: hold === null && mode !== 'dry_run' && ctx.config.approvalTypes.includes(step.action),
      simulation: simulated?.output ?? null,
      wait_seconds: durationSeconds(step.wait),
      on_failure: step.on_failure ?? 'next',
      verification: step.verify === undefined ? null : evaluate(step.verify, latest)
    })
  }
  return planned
}

/** One line per step, for a preview decision. */
export function describePlan(planned: PlannedStep[]): string {
  return planned
    .map(step => {
      const what = step.held_by === null ? (step.simulation ?? `would run ${step.action}`) : `held: ${step.hold_reason}`
      const check =
        step.verification === null ? '' : `; verify ${step.verification.metric} ${step.verification.condition}`
      return `step ${step.index + 1} ${step.action}: ${what}${check}`
    })
    .join('\n')
}
