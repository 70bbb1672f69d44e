// The detector's catch-up on late history (detection_catch_ups, migration 0153): which components
// received events after the window that would have judged them had passed, and how far each has
// been judged since. Only the service role reads or writes these.
import type { Tx } from './client.js'
import type { ComponentKey } from './organization-key.js'

export interface PendingCatchUp extends ComponentKey {
  /** The next time to judge the component at, in epoch ms. */
  nextAt: number
  /** The latest time any of the component's signals changed (opened, repeated, resolved), if any. */
  lastSignalChangeAt: number | null
}

/**
 * Looks at the events that arrived since the last look, up to `settleMs` ago (a transaction that
 * started earlier may still commit), and records a catch-up from the earliest of each component's
 * events that arrived `lateMs` or more after it was measured. A component already catching up
 * keeps its place: late events before it count as history only.
 */
export async function recordLateArrivals(tx: Tx, lateMs: number, settleMs: number): Promise<number> {
  const [state] = await tx<Array<{ from: Date; until: Date }>>`
    select arrivals_checked_from as from, now() - ${settleMs} * interval '1 millisecond' as until
    from detection_catch_up_state for update`
  if (state === undefined || state.until <= state.from) return 0
  const recorded = await tx`
    insert into detection_catch_ups (organization_id, component_name, next_at)
    select organization_id, component_name, min(event_time)
    from system_health_events
    where created_at >= ${state.from} and created_at < ${state.until}
      and event_time <= created_at - ${lateMs} * interval '1 millisecond'
    group by organization_id, component_name
    on conflict (organization_id, component_name) do nothing`
  await tx`update detection_catch_up_state set arrivals_checked_from = ${state.until}`
  return recorded.count
}

/** Every pending catch-up, with where the component's signals last changed. */
export async function pendingCatchUps(tx: Tx): Promise<PendingCatchUp[]> {
  return await tx<PendingCatchUp[]>`
    select c.organization_id as "organizationId", c.component_name as "componentName",
      extract(epoch from c.next_at)::float8 * 1000 as "nextAt",
      extract(epoch from (
        select max(greatest(s.detection_timestamp, s.last_observed_at, s.resolved_at)) from anomaly_signals s
        where core314.organization_key(s.organization_id) = core314.organization_key(c.organization_id)
          and s.source_component_name = c.component_name
      ))::float8 * 1000 as "lastSignalChangeAt"
    from detection_catch_ups c
    order by c.next_at`
}

function keysOf(tx: Tx, keys: ComponentKey[]) {
  return tx`jsonb_to_recordset(${tx.json(keys as never)}) as k("organizationId" uuid, "componentName" text)`
}

/** The components' next step is `nextAt`. */
export async function advanceCatchUps(tx: Tx, keys: ComponentKey[], nextAt: Date): Promise<void> {
  if (keys.length === 0) return
  await tx`
    update detection_catch_ups c set next_at = ${nextAt}
    from ${keysOf(tx, keys)}
    where c.organization_id is not distinct from k."organizationId" and c.component_name = k."componentName"`
}

/** The components are judged up to now: the live run takes them on. */
export async function finishCatchUps(tx: Tx, keys: ComponentKey[]): Promise<void> {
  if (keys.length === 0) return
  await tx`
    delete from detection_catch_ups c
    using ${keysOf(tx, keys)}
    where c.organization_id is not distinct from k."organizationId" and c.component_name = k."componentName"`
}

/** Catching up is off: no component waits for one, and arrivals until now are looked at. */
export async function forgetCatchUps(tx: Tx): Promise<void> {
  await tx`delete from detection_catch_ups`
  await tx`update detection_catch_up_state set arrivals_checked_from = now()`
}
