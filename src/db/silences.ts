// Silences: an organization's "not now" for matching signals. Stored, listed by state, changed
// (end, comment), expired early, and looked up in force at a time for the engine and detector.
// A silence's state is derived from its times, never stored, so it cannot disagree with them.
import type { Tx } from './client.js'
import type { Cursor } from './pagination.js'
import type { MatcherInput, RecurrenceInput, SilenceView } from '../schemas/silences.js'
import { lockOrganizationRows } from './organization-key.js'

export type SilenceRow = SilenceView
export type SilenceState = SilenceView['state']

export interface NewSilence {
  organization_id: string
  matchers: Array<Required<MatcherInput>>
  starts_at: Date
  ends_at: Date
  comment: string
  recurrence: RecurrenceInput | null
  created_by: string | null
}

export interface SilenceFilters {
  state?: SilenceState | undefined
  /** A matcher the silence has, exactly: {name, value}. */
  matcher?: { name: string; value: string } | undefined
}

function columns(tx: Tx) {
  return tx`id, organization_id, matchers, starts_at, ends_at, comment, recurrence, created_by, updated_by,
    created_at, updated_at,
    case when starts_at > now() then 'pending' when ends_at > now() then 'active' else 'expired' end as state`
}

export async function insertSilence(tx: Tx, silence: NewSilence): Promise<SilenceRow> {
  const [row] = await tx<SilenceRow[]>`
    insert into silences (organization_id, matchers, starts_at, ends_at, comment, recurrence, created_by)
    values (${silence.organization_id}, ${tx.json(silence.matchers as never)}, ${silence.starts_at}, ${silence.ends_at},
      ${silence.comment}, ${silence.recurrence === null ? null : tx.json(silence.recurrence as never)}, ${silence.created_by})
    returning ${columns(tx)}`
  return row as SilenceRow
}

/**
 * The organization's silences not yet ended (pending or active), counted under a lock on the
 * organization's silences held until the transaction ends, so two creates at once cannot both
 * pass a limit.
 */
export async function lockAndCountUnendedSilences(tx: Tx, organizationId: string): Promise<number> {
  await lockOrganizationRows(tx, 'silences', organizationId)
  const [row] = await tx<Array<{ n: number }>>`
    select count(*)::int as n from silences where organization_id = ${organizationId} and ends_at > now()`
  return row?.n ?? 0
}

export async function findSilence(tx: Tx, organizationId: string, id: string): Promise<SilenceRow | undefined> {
  const [row] = await tx<SilenceRow[]>`
    select ${columns(tx)} from silences where id = ${id} and organization_id = ${organizationId}`
  return row
}

export async function listSilences(
  tx: Tx,
  organizationId: string,
  filters: SilenceFilters,
  cursor: Cursor | undefined,
  limit: number
): Promise<Array<SilenceRow & { cursor_time: string }>> {
  const { state, matcher } = filters
  return await tx<Array<SilenceRow & { cursor_time: string }>>`
    select ${columns(tx)}, created_at::text as cursor_time
    from silences
    where organization_id = ${organizationId}
      ${state === 'pending' ? tx`and starts_at > now()` : tx``}
      ${state === 'active' ? tx`and starts_at <= now() and ends_at > now()` : tx``}
      ${state === 'expired' ? tx`and ends_at <= now()` : tx``}
      ${matcher === undefined ? tx`` : tx`and matchers @> ${tx.json([matcher] as never)}`}
      ${cursor === undefined ? tx`` : tx`and (created_at, id) < (${cursor.time}::text::timestamptz, ${cursor.id}::uuid)`}
    order by created_at desc, id desc
    limit ${limit + 1}`
}

/** Changes a silence that has not ended; undefined when there is none (or it has ended). */
export async function updateSilence(
  tx: Tx,
  organizationId: string,
  id: string,
  change: { ends_at?: Date | undefined; comment?: string | undefined },
  updatedBy: string | null
): Promise<SilenceRow | undefined> {
  const [row] = await tx<SilenceRow[]>`
    update silences set
      ends_at = coalesce(${change.ends_at ?? null}::timestamptz, ends_at),
      comment = coalesce(${change.comment ?? null}::text, comment),
      updated_by = ${updatedBy}
    where id = ${id} and organization_id = ${organizationId} and ends_at > now()
    returning ${columns(tx)}`
  return row
}

/**
 * Ends a silence now, as Alertmanager's expire does: an active one ends, a pending one never
 * starts (both times become now). Undefined when there is none or it had already ended.
 */
export async function expireSilence(
  tx: Tx,
  organizationId: string,
  id: string,
  expiredBy: string | null
): Promise<SilenceRow | undefined> {
  const [row] = await tx<SilenceRow[]>`
    update silences set ends_at = now(), starts_at = least(starts_at, now()), updated_by = ${expiredBy}
    where id = ${id} and organization_id = ${organizationId} and ends_at > now()
    returning ${columns(tx)}`
  return row
}

/** The organization's silences whose range covers `at` (a recurring one may still be between windows). */
export async function silencesInForce(tx: Tx, organizationId: string, at: Date): Promise<SilenceRow[]> {
  return await tx<SilenceRow[]>`
    select ${columns(tx)} from silences
    where organization_id = ${organizationId} and ends_at > ${at} and starts_at <= ${at}
    order by ends_at desc, id`
}

/** Marks a signal held by a silence until `until`. */
export async function holdSignal(tx: Tx, anomalyId: string, silenceId: string, until: Date): Promise<void> {
  await tx`update anomaly_signals set silence_id = ${silenceId}, silenced_until = ${until} where id = ${anomalyId}`
}
