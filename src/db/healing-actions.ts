// The healing engine's queue on recovery_actions. Due actions are claimed with FOR UPDATE SKIP
// LOCKED and a lease, so with many instances each is taken by one; an attempt's outcome is
// written only while its lease is still held, so an instance that lost its lease (and whose
// action another instance took over) cannot overwrite the newer attempt.
import type { Tx } from './client.js'
import { sameOrganization, type ComponentKey } from './organization-key.js'
import type { RecoveryActionRow } from '../schemas/recovery-actions.js'
import type { AnomalyRow } from '../schemas/anomalies.js'

export interface ClaimOptions {
  owner: string
  graceMs: number
  /** False while automatic healing is off: queued automatic actions wait. */
  includeAutomatic: boolean
}

// A lease covers the attempt's own time limit plus a grace, so a live instance never loses it mid-attempt.
const claimSet = (tx: Tx, options: ClaimOptions) => tx`
  execution_status = 'running', attempt_number = r.attempt_number + 1,
  execution_started_at = now(), last_attempt_at = now(), next_retry_at = null, execution_completed_at = null,
  lease_owner = ${options.owner},
  lease_expires_at = now() + make_interval(secs => r.timeout_seconds + ${options.graceMs / 1000}::float8)`

/** Claims up to `limit` due actions (pending, approved, retries whose time has come), oldest first. */
export async function claimDueActions(tx: Tx, limit: number, options: ClaimOptions): Promise<RecoveryActionRow[]> {
  return await tx<RecoveryActionRow[]>`
    with due as (
      select id from recovery_actions
      where (execution_status in ('pending', 'approved') or (execution_status = 'retry_scheduled' and next_retry_at <= now()))
        and (${options.includeAutomatic}::boolean or trigger_type <> 'automatic')
      order by created_at, id
      limit ${limit}
      for update skip locked
    )
    update recovery_actions r set ${claimSet(tx, options)}
    from due where r.id = due.id
    returning r.*`
}

/** Claims one action now whatever its due time, if it is waiting to run and nobody holds it. */
export async function claimAction(tx: Tx, id: string, options: ClaimOptions): Promise<RecoveryActionRow | undefined> {
  const [row] = await tx<RecoveryActionRow[]>`
    with due as (
      select id from recovery_actions
      where id = ${id} and execution_status in ('pending', 'approved', 'retry_scheduled')
      for update skip locked
    )
    update recovery_actions r set ${claimSet(tx, options)}
    from due where r.id = due.id
    returning r.*`
  return row
}

/** Locks the action for writing an attempt's outcome, if `owner` still holds its lease. */
export async function lockLeased(tx: Tx, id: string, owner: string): Promise<boolean> {
  const rows = await tx`
    select 1 from recovery_actions
    where id = ${id} and lease_owner = ${owner} and execution_status = 'running'
    for update`
  return rows.length === 1
}

export interface AttemptOutcome {
  status: 'succeeded' | 'failed' | 'dry_run'
  result: Record<string, unknown>
  output: string | null
  error: string | null
  errorCode: string | null
}

/** Finishes the action through the seed's execute_recovery_action (which releases the lease). */
export async function finishAction(tx: Tx, id: string, outcome: AttemptOutcome): Promise<RecoveryActionRow> {
  const [row] = await tx<RecoveryActionRow[]>`
    select * from execute_recovery_action(${id}, ${outcome.status}, ${tx.json(outcome.result as never)}, ${outcome.output}, ${outcome.error}, ${outcome.errorCode})`
  return row as RecoveryActionRow
}

/** Schedules the next attempt with the action's backoff, or fails it when attempts are used up. */
export async function scheduleRetry(
  tx: Tx,
  id: string,
  error: string,
  errorCode: string,
  result: Record<string, unknown>
): Promise<RecoveryActionRow> {
  await tx`update recovery_actions set execution_result = ${tx.json(result as never)}, execution_output = ${error} where id = ${id}`
  const [row] = await tx<
    RecoveryActionRow[]
  >`select * from schedule_recovery_action_retry(${id}, ${error}, ${errorCode})`
  return row as RecoveryActionRow
}

export interface ActionExtras {
  pre_action_metrics?: Record<string, unknown> | null
  notifications?: unknown[]
  notification_channels?: string[]
  verification_due_ms?: number
}

/** What an attempt adds besides its status: metrics before, notifications sent, when to verify. */
export async function recordExtras(tx: Tx, id: string, extras: ActionExtras): Promise<void> {
  await tx`
    update recovery_actions set
      pre_action_metrics = coalesce(pre_action_metrics, ${extras.pre_action_metrics === undefined || extras.pre_action_metrics === null ? null : tx.json(extras.pre_action_metrics as never)}),
      notifications_sent = notifications_sent || ${tx.json((extras.notifications ?? []) as never)}::jsonb,
      notification_channels = array(select distinct unnest(notification_channels || ${extras.notification_channels ?? []}::text[])),
      verification_status = case when ${extras.verification_due_ms ?? null}::float8 is null then verification_status else 'pending' end,
      verification_due_at = case when ${extras.verification_due_ms ?? null}::float8 is null then verification_due_at
        else now() + make_interval(secs => ${(extras.verification_due_ms ?? 0) / 1000}::float8) end
    where id = ${id}`
}

/** Running actions whose instance let the lease lapse count as a failed attempt: retried or failed. */
export async function expireLeases(tx: Tx, limit: number): Promise<RecoveryActionRow[]> {
  return await tx<RecoveryActionRow[]>`
    select s.* from (
      select id from recovery_actions
      where execution_status = 'running' and lease_expires_at < now()
      order by lease_expires_at
      limit ${limit}
      for update skip locked
    ) lapsed,
    lateral schedule_recovery_action_retry(lapsed.id, 'the instance running it lost its lease before finishing (stopped, or slower than its time limit)', 'LEASE_EXPIRED') s`
}

/** Approvals nobody gave in time: the action is cancelled and its approval marked expired. */
export async function expireApprovals(tx: Tx, limit: number): Promise<RecoveryActionRow[]> {
  return await tx<RecoveryActionRow[]>`
    update recovery_actions set
      approval_status = 'expired', execution_status = 'cancelled', execution_completed_at = now(),
      execution_error_code = 'APPROVAL_EXPIRED',
      execution_output = 'nobody approved or rejected it before ' || approval_expires_at::text
    where id in (
      select id from recovery_actions
      where execution_status = 'pending_approval' and approval_expires_at <= now()
      limit ${limit}
      for update skip locked)
    returning *`
}

/** The columns an automatic action is inserted with; those a row leaves undefined are left out. */
export const AUTOMATIC_ACTION_COLUMNS = [
  'user_id',
  'organization_id',
  'action_type',
  'action_category',
  'action_name',
  'action_description',
  'trigger_type',
  'triggered_by_anomaly_id',
  'trigger_reason',
  'target_component_type',
  'target_component_name',
  'action_parameters',
  'timeout_seconds',
  'dry_run',
  'requires_approval',
  'approval_expires_at',
  'execution_status',
  'execution_completed_at',
  'execution_output',
  'execution_error_code',
  'execution_context',
  'affected_components',
  'runbook_run_id',
  'runbook_step'
] as const

/**
 * Open anomalies with no automatic action or runbook run yet, locked so a concurrent run skips
 * them. A signal a silence holds waits until the hold ends (or the silence is expired or shortened).
 * Unless asked for by id, a signal is left alone while its component's late history is still
 * being judged (detection_catch_ups: the catch-up may yet find that it recovered long ago), and
 * when its latest evidence is older than `maxEvidenceAgeMs`: what history said of the past is
 * no reason to act on the component now.
 */
export async function openAnomaliesWithoutAction(
  tx: Tx,
  anomalyId: string | null,
  limit: number,
  maxEvidenceAgeMs: number
): Promise<AnomalyRow[]> {
  return await tx<AnomalyRow[]>`
    select a.* from anomaly_signals a
    where a.status = 'open'
      and (${anomalyId}::uuid is null or a.id = ${anomalyId}::uuid)
      and not exists (select 1 from recovery_actions r where r.triggered_by_anomaly_id = a.id and r.trigger_type = 'automatic')
      and not (coalesce(a.silenced_until > now(), false)
        and exists (select 1 from silences s where s.id = a.silence_id and s.ends_at > now()))
      and not exists (select 1 from runbook_runs rr where rr.anomaly_id = a.id)
      and (${anomalyId}::uuid is not null or (
        coalesce(a.last_observed_at, a.detection_timestamp) >= now() - make_interval(secs => ${maxEvidenceAgeMs / 1000})
        and not exists (
          select 1 from detection_catch_ups c
          where c.organization_id is not distinct from a.organization_id and c.component_name = a.source_component_name)))
    order by a.created_at, a.id
    limit ${limit}
    for update of a skip locked`
}

/** The anomaly's automatic action, unless it already has one (the unique index decides). */
export async function insertAutomaticAction(
  tx: Tx,
  row: Record<string, unknown>,
  columns: readonly string[]
): Promise<RecoveryActionRow | undefined> {
  const [inserted] = await tx<RecoveryActionRow[]>`
    insert into recovery_actions ${tx(
      row as never,
      columns.filter(column => row[column] !== undefined)
    )}
    on conflict (triggered_by_anomaly_id) where trigger_type = 'automatic' do nothing
    returning *`
  return inserted
}

export async function linkAnomaly(
  tx: Tx,
  anomalyId: string,
  actionId: string | null,
  escalationId: string | null
): Promise<void> {
  await tx`
    update anomaly_signals set
      triggered_recovery_action_id = coalesce(${actionId}::uuid, triggered_recovery_action_id),
      escalation_event_id = coalesce(${escalationId}::uuid, escalation_event_id)
    where id = ${anomalyId}`
}

export interface RecentAutomatic {
  same_type_in_cooldown: number
  component_last_hour: number
  all_last_minute: number
}

/**
 * Automatic actions that count against the guards (held ones, which did nothing, do not). The
 * cooldown and the cap count this organization's component only; the budget counts everything.
 */
export async function recentAutomatic(
  tx: Tx,
  key: ComponentKey,
  actionType: string,
  cooldownMs: number
): Promise<RecentAutomatic> {
  const component = tx`${sameOrganization(tx, 'organization_id', key.organizationId)} and target_component_name = ${key.componentName}`
  const [row] = await tx<RecentAutomatic[]>`
    select
      (select count(*)::int from recovery_actions
        where ${component} and trigger_type = 'automatic' and action_type = ${actionType}
          and execution_status <> 'cancelled' and created_at > now() - make_interval(secs => ${cooldownMs / 1000}::float8)) as same_type_in_cooldown,
      (select count(*)::int from recovery_actions
        where ${component} and trigger_type = 'automatic'
          and execution_status <> 'cancelled' and created_at > now() - interval '1 hour') as component_last_hour,
      (select count(*)::int from recovery_actions
        where trigger_type = 'automatic' and execution_status <> 'cancelled' and created_at > now() - interval '1 minute') as all_last_minute`
  return row as RecentAutomatic
}

/** One decision run at a time across instances, so guard counts cannot be read stale. */
export async function lockDecisions(tx: Tx): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext('core314.healing.decide'))`
}
