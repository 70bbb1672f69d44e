// The rollup of system_health_events into hours (migration 0042): which hours are rolled up, and
// rolling up more of them. Reading the rolled-up history is part of the detector's series read
// (detection.ts), which joins it with the raw events that are not rolled up.
import type { Tx } from './client.js'

export const ROLLUP_BUCKET_MS = 3_600_000

/** The start of the rollup bucket (hour) that `ms` falls in. */
export function floorHour (ms: number): number {
  return Math.floor(ms / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS
}

/** The quantile levels stored per bucket and metric: 0, 0.05, ..., 1. */
export const ROLLUP_LEVELS: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20)

export interface RollupCoverage {
  rolled_from: Date
  rolled_until: Date
}

export async function rollupCoverage (tx: Tx): Promise<RollupCoverage | null> {
  const [row] = await tx<RollupCoverage[]>`select rolled_from, rolled_until from health_event_rollup_state`
  return row ?? null
}

/** False when another transaction is rolling up right now: one writer at a time, the others skip. */
export async function tryLockRollup (tx: Tx): Promise<boolean> {
  const [row] = await tx<Array<{ locked: boolean }>>`select pg_try_advisory_xact_lock(hashtext('core314.health_event_rollups')) as locked`
  return row?.locked === true
}

/**
 * Rolls up the events in [from, until), whole hours, every component: one row per organization,
 * component and hour. A bucket rolled up again (a retried run) is replaced, not doubled.
 */
export async function rollUpHours (tx: Tx, from: Date, until: Date): Promise<number> {
  const levels = tx.array([...ROLLUP_LEVELS], 701)
  const rows = await tx`
    insert into health_event_rollups (organization_id, component_name, bucket_start, component_type, user_id,
      event_count, first_event_at, last_event_at,
      latency_ms_count, latency_ms_quantiles, error_rate_count, error_rate_quantiles,
      cpu_usage_percent_count, cpu_usage_percent_quantiles, memory_usage_percent_count, memory_usage_percent_quantiles,
      disk_usage_percent_count, disk_usage_percent_quantiles)
    select organization_id, component_name, date_bin('1 hour', created_at, timestamptz 'epoch'),
      (array_agg(component_type order by created_at desc, id desc))[1],
      (array_agg(user_id order by created_at desc, id desc))[1],
      count(*), min(created_at), max(created_at),
      count(latency_ms), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by latency_ms::float8)),
      count(error_rate), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by error_rate::float8)),
      count(cpu_usage_percent), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by cpu_usage_percent::float8)),
      count(memory_usage_percent), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by memory_usage_percent::float8)),
      count(disk_usage_percent), core314.pack_quantiles(percentile_cont(${levels}::float8[]) within group (order by disk_usage_percent::float8))
    from system_health_events
    where created_at >= ${from} and created_at < ${until}
    group by organization_id, component_name, date_bin('1 hour', created_at, timestamptz 'epoch')
    on conflict (organization_id, component_name, bucket_start) do update set
      component_type = excluded.component_type, user_id = excluded.user_id, event_count = excluded.event_count,
      first_event_at = excluded.first_event_at, last_event_at = excluded.last_event_at,
      latency_ms_count = excluded.latency_ms_count, latency_ms_quantiles = excluded.latency_ms_quantiles,
      error_rate_count = excluded.error_rate_count, error_rate_quantiles = excluded.error_rate_quantiles,
      cpu_usage_percent_count = excluded.cpu_usage_percent_count, cpu_usage_percent_quantiles = excluded.cpu_usage_percent_quantiles,
      memory_usage_percent_count = excluded.memory_usage_percent_count, memory_usage_percent_quantiles = excluded.memory_usage_percent_quantiles,
      disk_usage_percent_count = excluded.disk_usage_percent_count, disk_usage_percent_quantiles = excluded.disk_usage_percent_quantiles,
      rolled_up_at = now()`
  return rows.count
}

export async function saveRollupCoverage (tx: Tx, coverage: RollupCoverage): Promise<void> {
  await tx`
    insert into health_event_rollup_state (rolled_from, rolled_until) values (${coverage.rolled_from}, ${coverage.rolled_until})
    on conflict (singleton) do update set rolled_from = excluded.rolled_from, rolled_until = excluded.rolled_until, updated_at = now()`
}

export async function deleteRollupsBefore (tx: Tx, before: Date): Promise<number> {
  const rows = await tx`delete from health_event_rollups where bucket_start < ${before}`
  return rows.count
}
