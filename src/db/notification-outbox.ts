// The notification outbox: a queue in SQL. Rows are written in the transaction that causes
// them, claimed with a lease by whichever instance's dispatcher gets there first (FOR UPDATE
// SKIP LOCKED), and finished as sent, retried later, or given up as failed with their error.
import type { Tx } from './client.js'
import type { ChannelKind } from './notification-channels.js'

export type OutboxEvent = 'trigger' | 'acknowledge' | 'resolve'

export interface OutboxDelivery {
  id: string
  organization_id: string
  channel_id: string
  event: OutboxEvent
  dedup_key: string
  message: Record<string, unknown>
  attempts: number
  channel_name: string
  kind: ChannelKind
  url: string | null
  enabled: boolean
  secret_ciphertext: string
}

export interface DeliveryRow {
  id: string
  event: OutboxEvent
  dedup_key: string
  status: 'pending' | 'sent' | 'failed' | 'skipped'
  attempts: number
  next_attempt_at: string
  last_status: number | null
  last_error: string | null
  created_at: string
  sent_at: string | null
}

export interface TriggerInput {
  organizationId: string
  severity: string
  dedupKey: string
  /** The anomaly whose root cause and recovery actions the notification carries, if any. */
  anomalyId: string | null
  message: Record<string, unknown>
}

/**
 * A trigger for every enabled channel of the organization whose minimum severity the
 * escalation reaches, once per channel and key however often it is asked. The message gets
 * the anomaly's root cause and the recovery actions taken for it, as they stand now.
 */
export async function enqueueTriggers(tx: Tx, input: TriggerInput): Promise<number> {
  const rows = await tx`
    insert into notification_outbox (organization_id, channel_id, event, dedup_key, message)
    select c.organization_id, c.id, 'trigger', ${input.dedupKey}, ${tx.json(input.message as never)}::jsonb || jsonb_build_object(
      'root_cause', (select root_cause_analysis from anomaly_signals where id = ${input.anomalyId}::uuid),
      'actions_taken', coalesce((
        select jsonb_agg(jsonb_build_object('id', a.id, 'action_type', a.action_type, 'execution_status', a.execution_status,
          'completed_at', a.execution_completed_at) order by a.created_at)
        from recovery_actions a where a.triggered_by_anomaly_id = ${input.anomalyId}::uuid), '[]'::jsonb))
    from notification_channels c
    where c.organization_id = ${input.organizationId} and c.enabled
      and array_position(array['low', 'medium', 'high', 'critical'], c.min_severity) <= array_position(array['low', 'medium', 'high', 'critical'], ${input.severity})
    on conflict (channel_id, dedup_key, event) where channel_id is not null do nothing
    returning id`
  return rows.length
}

/**
 * Turns due lifecycle rows (acknowledged, resolved: written by the anomaly_signals trigger
 * without a channel) into one row per channel that was sent the signal's trigger, or will be
 * (a trigger given up or skipped has nothing to follow). A lifecycle change of a signal no
 * channel was told about ends there.
 */
export async function fanOutLifecycle(tx: Tx, limit: number): Promise<number> {
  const rows = await tx`
    with due as (
      select id, organization_id, event, dedup_key, message from notification_outbox
      where channel_id is null and status = 'pending' and next_attempt_at <= now()
      order by id limit ${limit}
      for update skip locked
    ), fanned as (
      insert into notification_outbox (organization_id, channel_id, event, dedup_key, message)
      select d.organization_id, t.channel_id, d.event, d.dedup_key, d.message
      from due d join notification_outbox t
        on t.dedup_key = d.dedup_key and t.event = 'trigger' and t.channel_id is not null and t.organization_id = d.organization_id
          and t.status in ('pending', 'sent')
      order by d.id
      on conflict (channel_id, dedup_key, event) where channel_id is not null do nothing
    )
    update notification_outbox set status = 'sent', sent_at = now() where id in (select id from due)
    returning id`
  return rows.length
}

/**
 * Claims due deliveries for `leaseMs`, counting the attempt. A row waits while an earlier row
 * for the same channel and key is still pending, so a receiver never gets a resolve before the
 * trigger it resolves.
 */
export async function claimDeliveries(tx: Tx, limit: number, leaseMs: number): Promise<OutboxDelivery[]> {
  return await tx<OutboxDelivery[]>`
    update notification_outbox o
    set claimed_until = now() + ${leaseMs} * interval '1 millisecond', attempts = o.attempts + 1
    from notification_channels c
    where c.id = o.channel_id and o.id in (
      select d.id from notification_outbox d
      where d.status = 'pending' and d.channel_id is not null and d.next_attempt_at <= now()
        and (d.claimed_until is null or d.claimed_until < now())
        and not exists (
          select 1 from notification_outbox e
          where e.dedup_key = d.dedup_key and e.channel_id = d.channel_id and e.status = 'pending' and e.id < d.id)
      order by d.next_attempt_at, d.id
      limit ${limit}
      for update of d skip locked)
    returning o.id::text, o.organization_id, o.channel_id, o.event, o.dedup_key, o.message, o.attempts,
      c.name as channel_name, c.kind, c.url, c.enabled, c.secret_ciphertext`
}

export async function markSent(tx: Tx, id: string, status: number | null): Promise<void> {
  await tx`update notification_outbox set status = 'sent', sent_at = now(), claimed_until = null, last_status = ${status}, last_error = null where id = ${id}`
}

export async function markRetry(
  tx: Tx,
  id: string,
  delayMs: number,
  status: number | null,
  error: string
): Promise<void> {
  await tx`
    update notification_outbox
    set next_attempt_at = now() + ${delayMs} * interval '1 millisecond', claimed_until = null, last_status = ${status}, last_error = ${error}
    where id = ${id}`
}

export async function markFinal(
  tx: Tx,
  id: string,
  outcome: 'failed' | 'skipped',
  status: number | null,
  error: string
): Promise<void> {
  await tx`update notification_outbox set status = ${outcome}, claimed_until = null, last_status = ${status}, last_error = ${error} where id = ${id}`
}

export async function listDeliveries(tx: Tx, channelId: string, limit: number): Promise<DeliveryRow[]> {
  return await tx<DeliveryRow[]>`
    select id::text, event, dedup_key, status, attempts, next_attempt_at, last_status, last_error, created_at, sent_at
    from notification_outbox where channel_id = ${channelId}
    order by id desc limit ${limit}`
}
