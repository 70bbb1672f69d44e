// POST /v1/runbooks/{name}/dry-run: every step the runbook would take on a component against its
// current state (guards, approval, the executor's own dry run, the verification read now), with
// nothing stored, sent or escalated. The caller's right to the runbook was checked when it was read.
import { SERVICE_CALLER } from '../../db/caller.js'
import { findComponent } from '../../db/components.js'
import { readMode } from '../../db/self-healing-mode.js'
import type { RunbookRow } from '../../schemas/runbooks.js'
import type { EngineContext } from '../healing/context.js'
import { planSteps, type PlannedStep } from './plan.js'
import { triggerMatches } from './trigger.js'

export interface DryRunInput {
  component_name: string
  anomaly_type?: string | undefined
  severity?: string | undefined
}

export interface DryRunReport {
  runbook: string
  version: number
  component_name: string
  trigger_matches: boolean | null
  mode: string
  steps: PlannedStep[]
}

export async function dryRunRunbook(
  ctx: EngineContext,
  runbook: RunbookRow,
  input: DryRunInput
): Promise<DryRunReport> {
  return await ctx.db.asCaller(SERVICE_CALLER, async tx => {
    const mode = (await readMode(tx)).mode
    const key = { organizationId: runbook.organization_id, componentName: input.component_name }
    const component = await findComponent(tx, key)
    const named = input.anomaly_type !== undefined || input.severity !== undefined
    return {
      runbook: runbook.name,
      version: runbook.version,
      component_name: input.component_name,
      trigger_matches: named
        ? triggerMatches(runbook.document.trigger, {
            anomaly_type: input.anomaly_type,
            severity: input.severity,
            component_name: input.component_name,
            component_type: component?.component_type ?? null
          })
        : null,
      mode,
      steps: await planSteps(ctx, tx, runbook.document, { key, flapping: false }, mode)
    }
  })
}
