// Handing a problem to people: an escalation_events row (one per source, so a retry reuses it)
// and a notification on every configured channel, each outcome recorded on the event. Used by
// the alert_escalation executor and by the engine when a guard holds an action or one fails.
// The global channels (ESCALATION_*) are told at once; the organization's own channels get a
// trigger in the outbox, committed with the escalation, which the dispatcher delivers with retries.
// Every escalation is logged here, at warn, and counted, whichever path opened it.
import type { FastifyBaseLogger } from 'fastify'
import { SERVICE_CALLER } from '../../db/caller.js'
import type { Db } from '../../db/port.js'
import { openEscalation, recordEscalationNotifications, type EscalationRow } from '../../db/escalation-events.js'
import { enqueueTriggers } from '../../db/notification-outbox.js'
import { notify } from '../notify/notify.js'
import { publishEscalation } from '../../telemetry.js'
import type { NotificationChannel, NotificationRecord } from '../notify/types.js'

export type Severity = 'low' | 'medium' | 'high' | 'critical'

export interface Escalation {
  sourceType: 'recovery_action' | 'anomaly'
  sourceId: string
  severity: Severity
  title: string
  summary: string
  reason: string
  componentName: string
  actionId?: string
  anomalyId?: string
  organizationId?: string | null
  userId?: string | null
  details?: Record<string, unknown>
}

export interface EscalationOutcome {
  escalation: EscalationRow
  notifications: NotificationRecord[]
  /** Notifications put in the outbox for the organization's channels. */
  queued: number
}

const NOTIFY_TIMEOUT_MS = 10_000

export async function escalate(
  db: Db,
  channels: NotificationChannel[],
  input: Escalation,
  log: FastifyBaseLogger,
  signal?: AbortSignal
): Promise<EscalationOutcome> {
  const { escalation, queued } = await db.asCaller(SERVICE_CALLER, async tx => {
    const escalation = await openEscalation(tx, {
      source_type: input.sourceType,
      source_id: input.sourceId,
      severity: input.severity,
      title: input.title,
      description: `${input.summary}\n\nWhy: ${input.reason}`,
      organization_id: input.organizationId ?? null,
      user_id: input.userId ?? null,
      notification_channels: channels.map(channel => channel.name),
      metadata: {
        component_name: input.componentName,
        action_id: input.actionId ?? null,
        anomaly_id: input.anomalyId ?? null,
        ...input.details
      }
    })
    if (input.organizationId === undefined || input.organizationId === null) return { escalation, queued: 0 }
    const queued = await enqueueTriggers(tx, {
      organizationId: input.organizationId,
      severity: input.severity,
      // One incident per signal: every escalation about it lands on the same PagerDuty alert.
      dedupKey: input.anomalyId ?? escalation.id,
      anomalyId: input.anomalyId ?? null,
      message: {
        escalation_id: escalation.id,
        title: input.title,
        severity: input.severity,
        summary: input.summary,
        reason: input.reason,
        component_name: input.componentName,
        action_id: input.actionId ?? null,
        anomaly_id: input.anomalyId ?? null,
        ...(input.details === undefined ? {} : { details: input.details })
      }
    })
    return { escalation, queued }
  })
  if (channels.length === 0) {
    reported(log, input, escalation, [])
    return { escalation, notifications: [], queued }
  }
  const timeout = AbortSignal.timeout(NOTIFY_TIMEOUT_MS)
  const notifications = await notify(
    channels,
    {
      escalation_id: escalation.id,
      title: input.title,
      severity: input.severity,
      summary: input.summary,
      reason: input.reason,
      component_name: input.componentName,
      ...(input.actionId === undefined ? {} : { action_id: input.actionId }),
      ...(input.anomalyId === undefined ? {} : { anomaly_id: input.anomalyId }),
      ...(input.details === undefined ? {} : { details: input.details })
    },
    signal === undefined ? timeout : AbortSignal.any([signal, timeout])
  )
  await db.asCaller(SERVICE_CALLER, async tx => {
    await recordEscalationNotifications(tx, escalation.id, notifications)
  })
  reported(log, input, escalation, notifications)
  return { escalation, notifications, queued }
}

function reported(
  log: FastifyBaseLogger,
  input: Escalation,
  escalation: EscalationRow,
  notifications: NotificationRecord[]
): void {
  publishEscalation({ severity: input.severity, notifications: notifications.map(n => ({ kind: n.kind, ok: n.ok })) })
  log.warn(
    {
      escalationId: escalation.id,
      sourceType: input.sourceType,
      sourceId: input.sourceId,
      severity: input.severity,
      componentName: input.componentName,
      reason: input.reason,
      notified: notifications.filter(n => n.ok).map(n => n.channel),
      notifyFailed: notifications.filter(n => !n.ok).map(n => n.channel)
    },
    `escalated to people: ${input.title}`
  )
}
