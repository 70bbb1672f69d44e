// escalation_events: where anomalies and actions the engine could not or would not handle go to
// people. One event per source, so an escalation retried (a failed notification) reuses it.
import type { Tx } from './client.js'

export interface EscalationInput {
  source_type: string
  source_id: string | null
  severity: 'low' | 'medium' | 'high' | 'critical'
  title: string
  description: string
  organization_id: string | null
  user_id: string | null
  notification_channels: string[]
  metadata: Record<string, unknown>
}

export interface EscalationRow extends EscalationInput {
  id: string
  status: string
  notifications_sent: unknown[]
  created_at: string
}

/** The open event for this source, or a new one. */
export async function openEscalation(tx: Tx, input: EscalationInput): Promise<EscalationRow> {
  if (input.source_id !== null) {
    const [existing] = await tx<EscalationRow[]>`
      select * from escalation_events
      where source_type = ${input.source_type} and source_id = ${input.source_id} and status <> 'resolved'
        and organization_id is not distinct from ${input.organization_id}::uuid
      order by created_at desc limit 1`
    if (existing !== undefined) return existing
  }
  const [row] = await tx<EscalationRow[]>`
    insert into escalation_events ${tx(
      { ...input, metadata: tx.json(input.metadata as never) } as never,
      'source_type',
      'source_id',
      'severity',
      'title',
      'description',
      'organization_id',
      'user_id',
      'notification_channels',
      'metadata'
    )}
    returning *`
  return row as EscalationRow
}

export async function recordEscalationNotifications(tx: Tx, id: string, notifications: unknown[]): Promise<void> {
  await tx`update escalation_events set notifications_sent = notifications_sent || ${tx.json(notifications as never)}::jsonb where id = ${id}`
}

/**
 * Moves a visible escalation to acknowledged (from open) or resolved (from open or
 * acknowledged), recording who and when; the caller is core314.current_user_id() (null for
 * the service role). Undefined when the caller cannot see it or it is past that point already.
 */
export async function moveEscalation<T extends object>(
  tx: Tx,
  id: string,
  to: 'acknowledged' | 'resolved'
): Promise<T | undefined> {
  const [row] =
    to === 'acknowledged'
      ? await tx<T[]>`
        update escalation_events
        set status = 'acknowledged', acknowledged_by = core314.current_user_id(), acknowledged_at = now()
        where id = ${id} and status = 'open'
        returning *`
      : await tx<T[]>`
        update escalation_events
        set status = 'resolved', resolved_by = core314.current_user_id(), resolved_at = now(),
          acknowledged_by = coalesce(acknowledged_by, core314.current_user_id()), acknowledged_at = coalesce(acknowledged_at, now())
        where id = ${id} and status <> 'resolved'
        returning *`
  return row
}
