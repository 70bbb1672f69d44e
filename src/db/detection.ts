// The detector's SQL: the health-event series it judges, the signals it may update, resolve or
// link, and the writes themselves. Events are read by event time (when they were measured), and
// every read takes the evaluation time, so a backtest at `at` sees exactly the events measured up
// to it, however late they arrived. Times cross the boundary as epoch milliseconds (float8) and
// metrics as float8, which is what the evaluation computes with.
import { endianness } from 'node:os'
import type { Tx } from './client.js'
import { floorHour } from './health-event-rollups.js'
import { sameOrganization, type ComponentKey } from './organization-key.js'
import type { AnomalyRow } from '../schemas/anomalies.js'

export const HISTORY_METRICS = [
  'latency_ms',
  'error_rate',
  'cpu_usage_percent',
  'memory_usage_percent',
  'disk_usage_percent'
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
  window_ids: string[]
  rolled?: RolledSeries | undefined
}

export const ACTIVE_STATUSES = ['open', 'acknowledged', 'investigating'] as const

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
  componentName: string | undefined,
  rolledUntil: Date | null,
  each: (series: ComponentSeries) => void
): Promise<void> {
  const rawFrom = rolledUntil ?? from
  const rolledFrom = new Date(floorHour(from.getTime()))
  const onlyComponent = componentName === undefined ? tx`` : tx`and component_name = ${componentName}`
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
        string_agg(coalesce(disk_usage_percent_quantiles, ${NO_QUANTILES}), '' order by bucket_start) as disk_usage_percent_quantiles
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
      coalesce(raw.disk_usage_percent, '') as disk_usage_percent, coalesce(raw.window_ids, '') as window_ids,
      rolled.bucket_start, rolled.first_event_at, rolled.last_event_at,
      rolled.latency_ms_count, rolled.latency_ms_quantiles, rolled.error_rate_count, rolled.error_rate_quantiles,
      rolled.cpu_usage_percent_count, rolled.cpu_usage_percent_quantiles, rolled.memory_usage_percent_count,
      rolled.memory_usage_percent_quantiles, rolled.disk_usage_percent_count, rolled.disk_usage_percent_quantiles
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

export interface ScorerHistoryRequest {
  organization_id: string | null
  component_name: string
  metric: HistoryMetric
}

/**
 * The newest `limit` raw values of each requested metric in [from, before), oldest first: what the
 * adaptive scorer replays when the rest of the history is rolled up. One query, each request a
 * backward index scan on (organization key, component_name, event_time, id) that stops after `limit` rows. Costed
 * as random reads, those look dearer to the planner than a bitmap scan of the component's whole
 * day followed by a sort, which reads about three times the pages (measured: 29,000 against 10,000
 * buffers and 525 ms against 59 ms for 20 requests over a day at one event a minute), so bitmap
 * scans are off for this query only.
 */
export async function scorerHistories(
  tx: Tx,
  requests: ScorerHistoryRequest[],
  from: Date,
  before: Date,
  limit: number
): Promise<Array<{ t: Float64Array; v: Float64Array }>> {
  if (requests.length === 0) return []
  const [setting] = await tx<
    Array<{ previous: string }>
  >`select current_setting('enable_bitmapscan') as previous, set_config('enable_bitmapscan', 'off', true)`
  const rows = await tx<Array<{ i: number; t: Buffer | null; v: Buffer | null }>>`
    select r.i, string_agg(float8send(e.t), '' order by e.event_time, e.id) as t, string_agg(float8send(e.v), '' order by e.event_time, e.id) as v
    from jsonb_to_recordset(${tx.json(requests.map((request, i) => ({ ...request, i })) as never)})
      as r(i int, organization_id uuid, component_name text, metric text)
    left join lateral (
      select event_time, id, date_part('epoch', event_time) * 1000 as t, m.v
      from system_health_events h
      cross join lateral (select (case r.metric when 'latency_ms' then h.latency_ms when 'error_rate' then h.error_rate
        when 'cpu_usage_percent' then h.cpu_usage_percent when 'memory_usage_percent' then h.memory_usage_percent
        else h.disk_usage_percent end)::float8 as v) m
      where core314.organization_key(h.organization_id) = core314.organization_key(r.organization_id) and h.component_name = r.component_name
        and h.event_time >= ${from} and h.event_time < ${before} and m.v is not null
      order by h.event_time desc, h.id desc
      limit ${limit}
    ) e on true
    group by r.i
    order by r.i`
  await tx`select set_config('enable_bitmapscan', ${setting?.previous ?? 'on'}, true)`
  return rows.map(row => ({ t: doubles(row.t), v: doubles(row.v) }))
}

export interface ActiveSignal {
  id: string
  organization_id: string | null
  source_component_name: string | null
  anomaly_type: string
  severity: string
  flapping: boolean
  detected_at: number
  last_observed_at: number | null
  /** Set on the detector's own signals: the metric it watched. */
  metric: string | null
}

/** Active signals as they stood at `at`: none detected after it. */
export async function activeSignals(tx: Tx, at: Date, componentName: string | undefined): Promise<ActiveSignal[]> {
  return await tx<ActiveSignal[]>`
    select id, organization_id, source_component_name, anomaly_type, severity, flapping,
      extract(epoch from detection_timestamp)::float8 * 1000 as detected_at,
      extract(epoch from last_observed_at)::float8 * 1000 as last_observed_at,
      metadata->>'metric' as metric
    from anomaly_signals
    where status in ${tx(ACTIVE_STATUSES)} and detection_timestamp <= ${at}
      ${componentName === undefined ? tx`` : tx`and source_component_name = ${componentName}`}`
}

export interface ResolutionCount {
  organization_id: string | null
  source_component_name: string
  anomaly_type: string
  resolutions: number
}

/** How often the detector closed each component's signals in the period before `at`. */
export async function recentAutoResolutions(tx: Tx, since: Date, at: Date): Promise<ResolutionCount[]> {
  return await tx<ResolutionCount[]>`
    select organization_id, source_component_name, anomaly_type, count(*)::int as resolutions
    from anomaly_signals
    where detection_timestamp >= ${since} and detection_timestamp <= ${at}
      and status = 'resolved' and resolved_at > ${since} and resolved_at <= ${at}
      and metadata @> '{"auto_resolved": true}'
    group by organization_id, source_component_name, anomaly_type`
}

export interface RecentResolution {
  organization_id: string | null
  source_component_name: string
  anomaly_type: string
  /** The latest resolution, epoch ms. */
  resolved_at: number
}

/** When each component's signals were last closed (resolved, or judged a false positive) in (since, at]. */
export async function recentResolutions(tx: Tx, since: Date, at: Date): Promise<RecentResolution[]> {
  return await tx<RecentResolution[]>`
    select organization_id, source_component_name, anomaly_type, extract(epoch from max(resolved_at))::float8 * 1000 as resolved_at
    from anomaly_signals
    where resolved_at > ${since} and resolved_at <= ${at} and source_component_name is not null
    group by organization_id, source_component_name, anomaly_type`
}

export const SIGNAL_COLUMNS = [
  'user_id',
  'organization_id',
  'anomaly_type',
  'anomaly_category',
  'severity',
  'confidence_score',
  'source_type',
  'source_id',
  'source_component_type',
  'source_component_name',
  'anomaly_description',
  'baseline_value',
  'observed_value',
  'deviation_percentage',
  'threshold_exceeded',
  'pattern_type',
  'pattern_duration_seconds',
  'pattern_frequency',
  'affected_components',
  'detection_method',
  'detection_algorithm',
  'detection_timestamp',
  'last_observed_at',
  'flapping',
  'metadata'
] as const

export type SignalDraft = Record<(typeof SIGNAL_COLUMNS)[number], unknown>

export type UpsertedSignal = AnomalyRow & { inserted: boolean }

/**
 * Opens each draft's signal, or updates the active one of the same organization, component and
 * type (the unique index makes that atomic): one more occurrence, the latest observation, the
 * worse severity. A signal detected after the draft (a live one, met by a backtest) is left
 * alone and the draft is dropped.
 */
export async function upsertSignals(tx: Tx, drafts: SignalDraft[]): Promise<UpsertedSignal[]> {
  if (drafts.length === 0) return []
  return await tx<UpsertedSignal[]>`
    insert into anomaly_signals ${tx(drafts as never, [...SIGNAL_COLUMNS])}
    on conflict (organization_id, source_component_name, anomaly_type) where status in ('open', 'acknowledged', 'investigating')
    do update set
      historical_occurrences = anomaly_signals.historical_occurrences + 1,
      last_observed_at = excluded.last_observed_at,
      observed_value = excluded.observed_value,
      baseline_value = excluded.baseline_value,
      deviation_percentage = excluded.deviation_percentage,
      threshold_exceeded = excluded.threshold_exceeded,
      severity = case when core314.severity_rank(excluded.severity) > core314.severity_rank(anomaly_signals.severity)
        then excluded.severity else anomaly_signals.severity end,
      confidence_score = greatest(anomaly_signals.confidence_score, excluded.confidence_score),
      pattern_type = excluded.pattern_type,
      pattern_duration_seconds = greatest(excluded.pattern_duration_seconds,
        extract(epoch from excluded.last_observed_at - anomaly_signals.detection_timestamp)),
      pattern_frequency = excluded.pattern_frequency,
      detection_algorithm = excluded.detection_algorithm,
      flapping = anomaly_signals.flapping or excluded.flapping,
      metadata = anomaly_signals.metadata || excluded.metadata
    where anomaly_signals.detection_timestamp <= excluded.detection_timestamp
    returning *, (xmax = 0) as inserted`
}

export interface Resolution {
  id: string
  notes: string
}

export async function resolveSignals(tx: Tx, resolutions: Resolution[], at: Date): Promise<AnomalyRow[]> {
  if (resolutions.length === 0) return []
  return await tx<AnomalyRow[]>`
    update anomaly_signals s
    set status = 'resolved', resolved_at = ${at}, resolution_notes = r.notes,
      metadata = s.metadata || '{"auto_resolved": true}'
    from jsonb_to_recordset(${tx.json(resolutions as never)}) as r(id uuid, notes text)
    where s.id = r.id and s.status in ${tx(ACTIVE_STATUSES)}
    returning s.*`
}

/**
 * Links each of `ids` with the signals of other components in the same organization whose active
 * periods (detection to resolution or last observation, widened by `slackMinutes`) overlap its
 * own, in both directions, so find_correlated_anomalies returns them from either side.
 */
export async function linkOverlapping(tx: Tx, ids: string[], at: Date, slackMinutes: number): Promise<void> {
  if (ids.length === 0) return
  await tx`
    with touched as (
      select * from anomaly_signals where id = any(${ids}::uuid[])
    ), pairs as (
      select t.id as a, o.id as b
      from touched t
      join anomaly_signals o
        on o.id <> t.id
        and o.source_component_name is distinct from t.source_component_name
        and o.organization_id is not distinct from t.organization_id
        and o.status <> 'false_positive'
        and o.detection_timestamp <= ${at}
        and (o.status in ${tx(ACTIVE_STATUSES)} or o.detection_timestamp >= t.detection_timestamp - interval '1 day')
        and o.detection_timestamp <= coalesce(t.resolved_at, t.last_observed_at, t.detection_timestamp) + make_interval(mins => ${slackMinutes})
        and coalesce(o.resolved_at, o.last_observed_at, o.detection_timestamp) + make_interval(mins => ${slackMinutes}) >= t.detection_timestamp
    ), both_ways as (
      select a as id, b as other from pairs
      union
      select b, a from pairs
    ), grouped as (
      select id, array_agg(other) as others from both_ways group by id
    )
    update anomaly_signals s
    set related_anomaly_ids = array(select distinct unnest(s.related_anomaly_ids || g.others))
    from grouped g
    where s.id = g.id and not (s.related_anomaly_ids @> g.others)`
}

export interface AnalysisColumns {
  id: string
  anomaly_summary: string
  root_cause_analysis: string
  recommended_actions: unknown[]
  business_impact: string
  detection_method: string
  gpt4o_prompt: string | null
  gpt4o_response: string | null
  gpt4o_model: string | null
  gpt4o_tokens_used: number | null
  gpt4o_analysis_duration_ms: number | null
  metadata: Record<string, unknown>
}

export async function storeAnalyses(tx: Tx, analyses: AnalysisColumns[]): Promise<void> {
  if (analyses.length === 0) return
  await tx`
    update anomaly_signals s
    set anomaly_summary = a.anomaly_summary, root_cause_analysis = a.root_cause_analysis,
      recommended_actions = a.recommended_actions, business_impact = a.business_impact,
      detection_method = a.detection_method, gpt4o_prompt = a.gpt4o_prompt, gpt4o_response = a.gpt4o_response,
      gpt4o_model = a.gpt4o_model, gpt4o_tokens_used = a.gpt4o_tokens_used,
      gpt4o_analysis_duration_ms = a.gpt4o_analysis_duration_ms, metadata = s.metadata || a.metadata
    from jsonb_to_recordset(${tx.json(analyses as never)}) as a(
      id uuid, anomaly_summary text, root_cause_analysis text, recommended_actions jsonb, business_impact text,
      detection_method text, gpt4o_prompt text, gpt4o_response text, gpt4o_model text, gpt4o_tokens_used integer,
      gpt4o_analysis_duration_ms numeric, metadata jsonb)
    where s.id = a.id`
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

export async function signalsById(tx: Tx, ids: string[]): Promise<AnomalyRow[]> {
  if (ids.length === 0) return []
  return await tx<
    AnomalyRow[]
  >`select * from anomaly_signals where id = any(${ids}::uuid[]) order by detection_timestamp desc, id`
}
