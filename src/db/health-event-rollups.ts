// The rollup of system_health_events into hours of event time (migrations 0042, 0062): which hours
// are rolled up, rolling up more of them, and rolling up again the hours late events arrived in.
// Reading the rolled-up history is part of the detector's series read (detection.ts), which joins
// it with the raw events that are not rolled up.
import type { Tx } from './client.js'

export const ROLLUP_BUCKET_MS = 3_600_000

/** The start of the rollup bucket (hour) that `ms` falls in. */
export function floorHour(ms: number): number {
  return Math.floor(ms / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS
}

/** The quantile levels stored per bucket and metric: 0, 0.05, ..., 1. */
export const ROLLUP_LEVELS: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20)

export interface RollupCoverage {
  rolled_from: Date
  rolled_until: Date
}

export async function rollupCoverage(tx: Tx): Promise<RollupCoverage | null> {
  const [row] = await tx<RollupCoverage[]>`select rolled_from, rolled_until from health_event_rollup_state`
  return row ?? null
}

/** Arrivals at or after this may be missing from their hour's rollup; null before the first pass. */
export async function lateCheckedFrom(tx: Tx): Promise<Date | null> {
  const [row] = await tx<
    Array<{ late_checked_from: Date | null }>
  >`select late_checked_from from health_event_rollup_state`
  return row?.late_checked_from ?? null
}

/** False when another transaction is rolling up right now: one writer at a time, the others skip. */
export async function tryLockRollup(tx: Tx): Promise<boolean> {
  const [row] = await tx<
    Array<{ locked: boolean }>
  >`select pg_try_advisory_xact_lock(hashtext('core314.health_event_rollups')) as locked`
  return row?.locked === true
}

// One rollup row per organization, component and hour from the events `e` of each group; a
// bucket rolled up again (a retried run, or an hour a late event arrived in) is replaced.
function upsertBuckets(tx: Tx, source: ReturnType<Tx>): ReturnType<Tx> {
  const levels = tx.array([...ROLLUP_LEVELS], 701)
  return tx`
    insert into health_event_rollups (organization_id, component_name, bucket_start, component_type, user_id,
      event_count, first_event_at, last_event_at,
      latency_ms_count, latency_ms_quantiles, error_rate_count, error_rate_quantiles,
      cpu_usage_percent_count, cpu_usage_percent_quantiles, memory_usage_percent_count, memory_usage_percent_quantiles,
      disk_usage_percent_count, disk_usage_percent_quantiles, throughput_per_minute_count, throughput_per_minute_quantiles)
    select e.organization_id, e.component_name, date_bin('1 hour', e.event_time, timestamptz 'epoch'),
      (array_agg(e.component_type order by e.event_time desc, e.id desc))[1],
      (array_agg(e.user_id order by e.event_time desc, e.id desc))[1],
      count(*), min(e.event_time), max(e.event_time),
      count(e.latency_ms), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by e.latency_ms::float8)),
      count(e.error_rate), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by e.error_rate::float8)),
      count(e.cpu_usage_percent), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by e.cpu_usage_percent::float8)),
      count(e.memory_usage_percent), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by e.memory_usage_percent::float8)),
      count(e.disk_usage_percent), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by e.disk_usage_percent::float8)),
      count(e.throughput_per_minute), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by e.throughput_per_minute::float8))
    ${source}
    group by e.organization_id, e.component_name, date_bin('1 hour', e.event_time, timestamptz 'epoch')
    on conflict (organization_id, component_name, bucket_start) do update set
      component_type = excluded.component_type, user_id = excluded.user_id, event_count = excluded.event_count,
      first_event_at = excluded.first_event_at, last_event_at = excluded.last_event_at,
      latency_ms_count = excluded.latency_ms_count, latency_ms_quantiles = excluded.latency_ms_quantiles,
      error_rate_count = excluded.error_rate_count, error_rate_quantiles = excluded.error_rate_quantiles,
      cpu_usage_percent_count = excluded.cpu_usage_percent_count, cpu_usage_percent_quantiles = excluded.cpu_usage_percent_quantiles,
      memory_usage_percent_count = excluded.memory_usage_percent_count, memory_usage_percent_quantiles = excluded.memory_usage_percent_quantiles,
      disk_usage_percent_count = excluded.disk_usage_percent_count, disk_usage_percent_quantiles = excluded.disk_usage_percent_quantiles,
      throughput_per_minute_count = excluded.throughput_per_minute_count, throughput_per_minute_quantiles = excluded.throughput_per_minute_quantiles,
      rolled_up_at = now()`
}

/** Rolls up the events measured in [from, until), whole hours, every component. */
export async function rollUpHours(tx: Tx, from: Date, until: Date): Promise<number> {
  const rows = await upsertBuckets(
    tx,
    tx`from system_health_events e where e.event_time >= ${from} and e.event_time < ${until}`
  )
  return rows.count
}

/**
 * Rolls up again each hour in [from, until) of a component that an event arrived in at or after
 * `arrivedSince` and whose rollup row does not count all of the hour's events (or that has no row
 * yet): the hour is recomputed from all its events, so a late event counts exactly as if it had
 * arrived on time, and an hour already holding it is left alone. Returns the hours rolled up again.
 */
export async function rollUpLateHours(tx: Tx, arrivedSince: Date, from: Date, until: Date): Promise<number> {
  const rows = await upsertBuckets(
    tx,
    tx`
    from (
      select k.* from (
        select distinct a.organization_id, a.component_name, date_bin('1 hour', a.event_time, timestamptz 'epoch') as bucket_start
        from system_health_events a
        where a.created_at >= ${arrivedSince} and a.event_time >= ${from} and a.event_time < ${until}
      ) k
      where coalesce((
        select r.event_count from health_event_rollups r
        where r.organization_id is not distinct from k.organization_id and r.component_name = k.component_name
          and r.bucket_start = k.bucket_start), 0) <> (
        select count(*) from system_health_events c
        where c.component_name = k.component_name and c.organization_id is not distinct from k.organization_id
          and c.event_time >= k.bucket_start and c.event_time < k.bucket_start + interval '1 hour')
    ) late
    join system_health_events e on e.component_name = late.component_name and e.organization_id is not distinct from late.organization_id
      and e.event_time >= late.bucket_start and e.event_time < late.bucket_start + interval '1 hour'`
  )
  return rows.count
}

/**
 * Records the hours rolled up, and that arrivals before `settleMs` ago (by the database's clock,
 * the one created_at uses) are folded in: the next pass looks for late events from there.
 */
export async function saveRollupCoverage(tx: Tx, coverage: RollupCoverage, settleMs: number): Promise<void> {
  await tx`
    insert into health_event_rollup_state (rolled_from, rolled_until, late_checked_from)
    values (${coverage.rolled_from}, ${coverage.rolled_until}, now() - make_interval(secs => ${settleMs / 1000}::float8))
    on conflict (singleton) do update set rolled_from = excluded.rolled_from, rolled_until = excluded.rolled_until,
      late_checked_from = excluded.late_checked_from, updated_at = now()`
}

export async function deleteRollupsBefore(tx: Tx, before: Date): Promise<number> {
  const rows = await tx`delete from health_event_rollups where bucket_start < ${before}`
  return rows.count
}
