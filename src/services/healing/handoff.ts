// When the engine gives a problem to people: a guard held its action, the action failed for
// good, an approval expired, or the action did not help. The escalation says why, its
// notifications are recorded on the action, and the anomaly (if any) points to it.
import { SERVICE_CALLER } from '../../db/caller.js'
import { linkAnomaly, recordExtras } from '../../db/healing-actions.js'
import type { RecoveryActionRow } from '../../schemas/recovery-actions.js'
import { audit } from './audit.js'
import type { EngineContext } from './context.js'
import { escalate, type Severity } from './escalation.js'

export interface Handoff {
  title: string
  reason: string
  severity?: Severity
}

export async function handOff(ctx: EngineContext, action: RecoveryActionRow, handoff: Handoff): Promise<string> {
  const anomalyId = action.triggered_by_anomaly_id ?? undefined
  const { escalation, notifications } = await escalate(
    ctx.db,
    ctx.channels,
    {
      sourceType: 'recovery_action',
      sourceId: action.id,
      severity: handoff.severity ?? 'high',
      title: handoff.title,
      summary: `${action.action_type} on ${action.target_component_name} (recovery action ${action.id}) needs a person.`,
      reason: handoff.reason,
      componentName: action.target_component_name,
      actionId: action.id,
      organizationId: action.organization_id,
      userId: action.user_id,
      ...(anomalyId === undefined ? {} : { anomalyId })
    },
    ctx.log
  )
  await ctx.db.asCaller(SERVICE_CALLER, async tx => {
    await recordExtras(tx, action.id, { notifications, notification_channels: notifications.map(n => n.channel) })
    if (anomalyId !== undefined) await linkAnomaly(tx, anomalyId, null, escalation.id)
    await audit(tx, {
      type: 'escalation',
      actor: ctx.owner,
      outcome: 'escalated',
      reasoning: handoff.reason,
      action,
      decision: { escalation_id: escalation.id, notified: notifications.filter(n => n.ok).map(n => n.channel) }
    })
  })
  return escalation.id
}
