// Closing the loop: after the verification delay, the component's newest health since the
// action finished is compared with its health before. Verified resolves the anomaly; not
// improved rolls the action back where it can be undone and escalates; no data is inconclusive.
import { SERVICE_CALLER } from '../../db/caller.js'
import { latestHealth } from '../../db/component-health.js'
import { claimDueVerifications, recordVerification, resolveAnomaly } from '../../db/verifications.js'
import type { RecoveryActionRow } from '../../schemas/recovery-actions.js'
import { audit } from './audit.js'
import type { EngineContext } from './context.js'
import { handOff } from './handoff.js'
import { assess, snapshot } from './measurement.js'
import { createRollback } from './rollback.js'

export interface VerificationReport {
  id: string
  status: 'verified' | 'not_improved' | 'inconclusive'
  improvement: number | null
  score: number | null
  rollback_action_id: string | null
}

async function judge(
  ctx: EngineContext,
  limit: number
): Promise<Array<{ action: RecoveryActionRow; report: VerificationReport }>> {
  return await ctx.db.asCaller(SERVICE_CALLER, async tx => {
    const due = await claimDueVerifications(tx, limit)
    const judged = []
    for (const action of due) {
      const after = await latestHealth(
        tx,
        { organizationId: action.organization_id, componentName: action.target_component_name },
        action.execution_completed_at
      )
      const post = after === undefined ? null : snapshot(after)
      const assessment = assess(action.pre_action_metrics, post, ctx.config.minImprovementPercent)
      const row = await recordVerification(tx, action.id, {
        status: assessment.status,
        post,
        improvement: assessment.improvement,
        score: assessment.score
      })
      const resolved =
        assessment.status === 'verified' &&
        action.triggered_by_anomaly_id !== null &&
        (await resolveAnomaly(
          tx,
          action.triggered_by_anomaly_id,
          `resolved by recovery action ${action.id} (${action.action_type}): metrics improved ${assessment.improvement ?? 0} %`
        ))
      await audit(tx, {
        type: 'verification',
        actor: ctx.owner,
        outcome: assessment.status,
        reasoning:
          post === null
            ? 'no health event of the component since the action finished'
            : `metrics changed by ${assessment.improvement ?? 'n/a'} % (verified at ${ctx.config.minImprovementPercent} % or on recovery to healthy)`,
        action,
        input: { pre: action.pre_action_metrics, post },
        decision: { ...assessment, anomaly_resolved: resolved }
      })
      judged.push({ action: row, report: { id: action.id, ...assessment, rollback_action_id: null } })
    }
    return judged
  })
}

async function undo(ctx: EngineContext, action: RecoveryActionRow, report: VerificationReport): Promise<void> {
  const reason = `not improved: metrics changed by ${report.improvement ?? 0} % (needed ${ctx.config.minImprovementPercent} %)`
  let rolledBack = 'and it cannot be rolled back automatically'
  try {
    const pair = await createRollback(ctx, action.id, reason, { id: ctx.owner, userId: null })
    report.rollback_action_id = pair.rollback_action.id
    rolledBack = `so rollback action ${pair.rollback_action.id} (${pair.rollback_action.action_type}) was created`
  } catch (error) {
    ctx.log.info({ actionId: action.id, err: error }, 'no automatic rollback')
  }
  await handOff(ctx, action, {
    title: `${action.action_type} on ${action.target_component_name} did not help`,
    reason: `${reason}, ${rolledBack}`
  })
}

export async function runDueVerifications(ctx: EngineContext, limit: number): Promise<VerificationReport[]> {
  const judged = await judge(ctx, limit)
  for (const { action, report } of judged) {
    if (report.status === 'not_improved') await undo(ctx, action, report)
  }
  return judged.map(({ report }) => report)
}
