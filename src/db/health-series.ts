// The health-event series the detector judges: one packed row per component (raw events, the
// rolled-up hours before them), the raw tail the adaptive scorer replays, and the latest error text
// an analysis quotes. Events are read by event time (when they were measured), and every read takes
// the evaluation time, so a backtest at `at` sees exactly the events measured up to it, however
// late they arrived. Times cross the boundary as epoch milliseconds (float8) and metrics as float8,
// which is what the evaluation computes with.
import { endianness } from 'node:os'
import type { Tx } from './client.js'
import { floorHour } from './health-event-rollups.js'
import { sameOrganization, type ComponentKey } from './organization-key.js'

export const HISTORY_METRICS = [
  'latency_ms',
  'error_rate',
  'cpu_usage_percent',
  'memory_usage_percent',
  'disk_usage_percent',
  'throughput_per_minute'
] as const

export type HistoryMetric = (typeof HISTORY_METRICS)[number]

/**
 * One component's rolled-up hours (health_event_rollups), oldest first, as parallel arrays: per
 * metric the events that reported it in each hour and that hour's 21 quantiles (flattened, 21 per
 * hour; zeros where the count is 0).
 */
export interface RolledSeries {
  bucket_start: Float64Array
  first_event_at: Float64Array
  last_event_at: Float64Array
  counts: Record<HistoryMetric, Float64Array>
  quantiles: Record<HistoryMetric, Float64Array>
}

/**
 * One component's history and window, oldest first. `t` and the metric arrays are its raw health
 * events, as parallel arrays (NaN where an event left a metric out): the whole lookback, or with
 * `rolled` only the part after the rolled-up hours. The events in the window are the last
 * `window_ids.length`.
 */
export interface ComponentSeries {
  organization_id: string | null
  component_name: string
  /** The latest event's owner and component type. */
  user_id: string | null
  component_type: string
  t: Float64Array
  latency_ms: Float64Array
  error_rate: Float64Array
  cpu_usage_percent: Float64Array
  memory_usage_percent: Float64Array
  disk_usage_percent: Float64Array
  throughput_per_minute: Float64Array
  window_ids: string[]
  rolled?: RolledSeries | undefined
}

type RawColumn = 't' | HistoryMetric
type RolledColumn =
  'bucket_start' | 'first_event_at' | 'last_event_at' | `${HistoryMetric}_count` | `${HistoryMetric}_quantiles`
type PackedSeries = Record<'organization_id' | 'user_id', string | null> &
  Record<'component_name' | 'component_type' | 'window_ids', string> &
  Record<RawColumn, Buffer> &
  Record<RolledColumn, Buffer | null>

const LITTLE_ENDIAN = endianness() === 'LE'

// float8send's big-endian IEEE doubles, concatenated: no number is printed, sent and parsed as text.
// A day of history is a few hundred thousand of them per run: they are copied and byte-swapped in
// bulk rather than read one at a time.
function doubles(bytes: Buffer | null): Float64Array {
  if (bytes === null) return new Float64Array(0)
  const values = new Float64Array(bytes.length / 8)
  const target = Buffer.from(values.buffer)
  bytes.copy(target)
  if (LITTLE_ENDIAN) target.swap64()
  return values
}

function perMetric(row: PackedSeries, suffix: '_count' | '_quantiles'): Record<HistoryMetric, Float64Array> {
  return Object.fromEntries(HISTORY_METRICS.map(metric => [metric, doubles(row[`${metric}${suffix}`])])) as Record<
    HistoryMetric,
    Float64Array
  >
}

function unpack(row: PackedSeries): ComponentSeries {
  return {
    organization_id: row.organization_id,
    component_name: row.component_name,
    user_id: row.user_id,
    component_type: row.component_type,
    t: doubles(row.t),
    latency_ms: doubles(row.latency_ms),
    error_rate: doubles(row.error_rate),
    cpu_usage_percent: doubles(row.cpu_usage_percent),
    memory_usage_percent: doubles(row.memory_usage_percent),
    disk_usage_percent: doubles(row.disk_usage_percent),
    throughput_per_minute: doubles(row.throughput_per_minute),
    window_ids: row.window_ids === '' ? [] : row.window_ids.split(','),
    ...(row.bucket_start === null
      ? {}
      : {
          rolled: {
            bucket_start: doubles(row.bucket_start),
            first_event_at: doubles(row.first_event_at),
            last_event_at: doubles(row.last_event_at),
            counts: perMetric(row, '_count'),
            quantiles: perMetric(row, '_quantiles')
          }
        })
  }
}

// Where a metric has no events in an hour its quantiles are null; the packed arrays stay aligned.
const NO_QUANTILES = Buffer.alloc(21 * 8)
// Enough for a day of 1,000 components' events and hours to be grouped and ordered in memory.
const SERIES_WORK_MEM = '64MB'
// Components without an organization still join their rolled-up hours (a full join needs equality).
const NO_ORGANIZATION = '00000000-0000-0000-0000-000000000000'

/** Which components a series read covers: all of them, one name, some keys, or all but some. */
export interface ComponentScope {
  componentName?: string | undefined
  only?: ComponentKey[] | undefined
  except?: ComponentKey[] | undefined
}

function scopeKeys(tx: Tx, keys: ComponentKey[]) {
  return tx`(select core314.organization_key(k."organizationId"), k."componentName"
    from jsonb_to_recordset(${tx.json(keys as never)}) as k("organizationId" uuid, "componentName" text))`
}

// For the events and the rollups alike: both carry organization_id and component_name.
function scopeCondition(tx: Tx, scope: ComponentScope) {
  const key = tx`(core314.organization_key(organization_id), component_name)`
  return tx`${scope.componentName === undefined ? tx`` : tx`and component_name = ${scope.componentName}`}
    ${scope.only === undefined ? tx`` : tx`and ${key} in ${scopeKeys(tx, scope.only)}`}
    ${scope.except === undefined || scope.except.length === 0 ? tx`` : tx`and ${key} not in ${scopeKeys(tx, scope.except)}`}`
}

/**
 * Every component's events between `from` and `at`, one row per organization and component,
 * handed to `each` as PostgreSQL produces them. PostgreSQL groups, orders and packs the events,
 * so a run over thousands of components parses a thousand rows rather than an object per event,
 * and the caller judges each component while the next ones are still being aggregated. The
 * window is the events at or after `windowStart` by their timestamps, never by float
 * milliseconds. With `rolledUntil` (an hour boundary) the history before it comes from the
 * rolled-up hours that start at or after `from`'s hour, and raw events only from then on.
 */
export async function forEachComponentSeries(
  tx: Tx,
  from: Date,
  windowStart: Date,
  at: Date,
  scope: ComponentScope,
  rolledUntil: Date | null,
  each: (series: ComponentSeries) => void
): Promise<void> {
  const rawFrom = rolledUntil ?? from
  const rolledFrom = new Date(floorHour(from.getTime()))
  const onlyComponent = scopeCondition(tx, scope)
  // Grouping a day of 1,000 components' events and hours, and ordering the packed rows, spills
  // PostgreSQL's default 4 MB of sort memory to temporary files: this read gets more, for this
  // transaction only.
  await tx`select set_config('work_mem', ${SERIES_WORK_MEM}, true)`
  // A failing `each` stops the calls and fails the read once the rows have drained.
  let failed: { error: unknown } | undefined
  await tx<PackedSeries[]>`
    with raw as (
      select coalesce(organization_id, ${NO_ORGANIZATION}::uuid) as organization_key, component_name,
        (array_agg(user_id order by event_time, id))[count(*)] as user_id,
        (array_agg(component_type order by event_time, id))[count(*)] as component_type,
        string_agg(float8send(date_part('epoch', event_time) * 1000), '' order by event_time, id) as t,
        string_agg(float8send(coalesce(latency_ms::float8, 'NaN')), '' order by event_time, id) as latency_ms,
        string_agg(float8send(coalesce(error_rate::float8, 'NaN')), '' order by event_time, id) as error_rate,
        string_agg(float8send(coalesce(cpu_usage_percent::float8, 'NaN')), '' order by event_time, id) as cpu_usage_percent,
        string_agg(float8send(coalesce(memory_usage_percent::float8, 'NaN')), '' order by event_time, id) as memory_usage_percent,
        string_agg(float8send(coalesce(disk_usage_percent::float8, 'NaN')), '' order by event_time, id) as disk_usage_percent,
        string_agg(float8send(coalesce(throughput_per_minute::float8, 'NaN')), '' order by event_time, id) as throughput_per_minute,
        coalesce(string_agg(id::text, ',' order by event_time, id) filter (where event_time >= ${windowStart}), '') as window_ids
      from system_health_events
      where event_time >= ${rawFrom} and event_time <= ${at} ${onlyComponent}
      group by 1, component_name
    ), rolled as (
      select coalesce(organization_id, ${NO_ORGANIZATION}::uuid) as organization_key, component_name,
        (array_agg(user_id order by bucket_start desc))[1] as user_id,
        (array_agg(component_type order by bucket_start desc))[1] as component_type,
        string_agg(float8send(date_part('epoch', bucket_start) * 1000), '' order by bucket_start) as bucket_start,
        string_agg(float8send(date_part('epoch', first_event_at) * 1000), '' order by bucket_start) as first_event_at,
        string_agg(float8send(date_part('epoch', last_event_at) * 1000), '' order by bucket_start) as last_event_at,
        string_agg(float8send(latency_ms_count::float8), '' order by bucket_start) as latency_ms_count,
        string_agg(coalesce(latency_ms_quantiles, ${NO_QUANTILES}), '' order by bucket_start) as latency_ms_quantiles,
        string_agg(float8send(error_rate_count::float8), '' order by bucket_start) as error_rate_count,
        string_agg(coalesce(error_rate_quantiles, ${NO_QUANTILES}), '' order by bucket_start) as error_rate_quantiles,
        string_agg(float8send(cpu_usage_percent_count::float8), '' order by bucket_start) as cpu_usage_percent_count,
        string_agg(coalesce(cpu_usage_percent_quantiles, ${NO_QUANTILES}), '' order by bucket_start) as cpu_usage_percent_quantiles,
        string_agg(float8send(memory_usage_percent_count::float8), '' order by bucket_start) as memory_usage_percent_count,
        string_agg(coalesce(memory_usage_percent_quantiles, ${NO_QUANTILES}), '' order by bucket_start) as memory_usage_percent_quantiles,
        string_agg(float8send(disk_usage_percent_count::float8), '' order by bucket_start) as disk_usage_percent_count,
        string_agg(coalesce(disk_usage_percent_quantiles, ${NO_QUANTILES}), '' order by bucket_start) as disk_usage_percent_quantiles,
        string_agg(float8send(throughput_per_minute_count::float8), '' order by bucket_start) as throughput_per_minute_count,
        string_agg(coalesce(throughput_per_minute_quantiles, ${NO_QUANTILES}), '' order by bucket_start) as throughput_per_minute_quantiles
      from health_event_rollups
      where ${rolledUntil !== null} and bucket_start >= ${rolledFrom} and bucket_start < ${rolledUntil ?? rolledFrom} ${onlyComponent}
      group by 1, component_name
    )
    select nullif(coalesce(raw.organization_key, rolled.organization_key), ${NO_ORGANIZATION}::uuid) as organization_id,
      coalesce(raw.component_name, rolled.component_name) as component_name,
      case when raw.component_name is null then rolled.user_id else raw.user_id end as user_id,
      coalesce(raw.component_type, rolled.component_type) as component_type,
      coalesce(raw.t, '') as t, coalesce(raw.latency_ms, '') as latency_ms, coalesce(raw.error_rate, '') as error_rate,
      coalesce(raw.cpu_usage_percent, '') as cpu_usage_percent, coalesce(raw.memory_usage_percent, '') as memory_usage_percent,
      coalesce(raw.disk_usage_percent, '') as disk_usage_percent,
      coalesce(raw.throughput_per_minute, '') as throughput_per_minute, coalesce(raw.window_ids, '') as window_ids,
      rolled.bucket_start, rolled.first_event_at, rolled.last_event_at,
      rolled.latency_ms_count, rolled.latency_ms_quantiles, rolled.error_rate_count, rolled.error_rate_quantiles,
      rolled.cpu_usage_percent_count, rolled.cpu_usage_percent_quantiles, rolled.memory_usage_percent_count,
      rolled.memory_usage_percent_quantiles, rolled.disk_usage_percent_count, rolled.disk_usage_percent_quantiles,
      rolled.throughput_per_minute_count, rolled.throughput_per_minute_quantiles
    from raw full join rolled on raw.organization_key = rolled.organization_key and raw.component_name = rolled.component_name
    order by 1, 2`.forEach(row => {
    if (failed !== undefined) return
    try {
      each(unpack(row))
    } catch (error) {
      failed = { error }
    }
  })
  if (failed !== undefined) throw failed.error
}

export interface ScorerStreamRequest {
  organization_id: string | null
  component_name: string
  metric: HistoryMetric
  /** The last event already fed to the metric's scorer, or null to start at `from`. */
  after_at: string | null
  after_id: string | null
}

/** A metric's events in the scorer's order (event time, then id), as parallel arrays. */
export interface ScorerStream {
  t: Float64Array
  v: Float64Array
  ids: string[]
  /** The newest event's time exactly (as PostgreSQL prints it), to resume after; null when empty. */
  last_at: string | null
}

/**
 * Each requested metric's raw values after its scorer's position (or from `from`) up to `at`, in
 * the scorer's order: the newest `limit` of them, oldest first, so a caller can tell a backlog
 * longer than `limit` (it gets exactly `limit`). One query, each request a backward index scan on
 * (organization key, component_name, event_time, id) that stops after `limit` rows. Costed as
 * random reads, those look dearer to the planner than a bitmap scan of the component's whole day
 * followed by a sort, which reads about three times the pages (measured: 29,000 against 10,000
 * buffers and 525 ms against 59 ms for 20 requests over a day at one event a minute), so bitmap
 * scans are off for this query only.
 */
export async function scorerStreams(
  tx: Tx,
  requests: ScorerStreamRequest[],
  from: Date,
  at: Date,
  limit: number
): Promise<ScorerStream[]> {
  if (requests.length === 0) return []
  const [setting] = await tx<
    Array<{ previous: string }>
  >`select current_setting('enable_bitmapscan') as previous, set_config('enable_bitmapscan', 'off', true)`
  const rows = await tx<
    Array<{ i: number; t: Buffer | null; v: Buffer | null; ids: string | null; last_at: string | null }>
  >`
    select r.i, string_agg(float8send(e.t), '' order by e.event_time, e.id) as t,
      (array_agg(e.event_time::text order by e.event_time desc, e.id desc))[1] as last_at,
      string_agg(float8send(e.v), '' order by e.event_time, e.id) as v,
      string_agg(e.id::text, ',' order by e.event_time, e.id) as ids
    from jsonb_to_recordset(${tx.json(requests.map((request, i) => ({ ...request, i })) as never)})
      as r(i int, organization_id uuid, component_name text, metric text, after_at timestamptz, after_id uuid)
    left join lateral (
      select event_time, id, date_part('epoch', event_time) * 1000 as t, m.v
      from system_health_events h
      cross join lateral (select (case r.metric when 'latency_ms' then h.latency_ms when 'error_rate' then h.error_rate
        when 'cpu_usage_percent' then h.cpu_usage_percent when 'memory_usage_percent' then h.memory_usage_percent
        when 'disk_usage_percent' then h.disk_usage_percent else h.throughput_per_minute end)::float8 as v) m
      where core314.organization_key(h.organization_id) = core314.organization_key(r.organization_id) and h.component_name = r.component_name
        and h.event_time <= ${at} and m.v is not null
        and (case when r.after_at is null then h.event_time >= ${from} else (h.event_time, h.id) > (r.after_at, r.after_id) end)
      order by h.event_time desc, h.id desc
      limit ${limit}
    ) e on true
    group by r.i
    order by r.i`
  await tx`select set_config('enable_bitmapscan', ${setting?.previous ?? 'on'}, true)`
  return rows.map(row => ({
    t: doubles(row.t),
    v: doubles(row.v),
    ids: row.ids === null ? [] : row.ids.split(','),
    last_at: row.last_at
  }))
}

/**
 * The latest error messages of the organization's component in the window, for the analysis
 * (untrusted text). Another organization's component of the same name never speaks here.
 */
export async function recentErrorText(tx: Tx, key: ComponentKey, from: Date, at: Date): Promise<string[]> {
  const rows = await tx<Array<{ message: string }>>`
    select last_error_message as message from system_health_events
    where ${sameOrganization(tx, 'organization_id', key.organizationId)} and component_name = ${key.componentName}
      and event_time >= ${from} and event_time <= ${at}
      and last_error_message is not null
    order by event_time desc
    limit 5`
  return rows.map(row => row.message)
}
