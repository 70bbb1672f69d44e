// predictive_alerts: the forecaster's reads (each component's recent resource metrics, sliced by
// event time, and the open alerts) and writes (one open alert per organization, component and
// metric, kept by the unique index of migration 0090), and the route's list and lookup.
import type { Tx } from './client.js'
import { sameOrganization } from './organization-key.js'
import type { Cursor } from './pagination.js'
import type { FORECAST_METRIC_NAMES, PredictiveAlertRow } from '../schemas/predictive-alerts.js'

/** The health-event metrics that run out, each read from its column. */
export type ForecastMetric = (typeof FORECAST_METRIC_NAMES)[number]

/**
 * One component's window: per slice of event time, the mean event time (epoch ms) and each
 * metric's median (NaN where no event of the slice reported it: postgres.js reads a NULL element
 * of a float8[] so), oldest first.
 */
export interface ForecastSeries {
  organization_id: string | null
  component_name: string
  component_type: string
  t: number[]
  memory_usage_percent: number[]
  disk_usage_percent: number[]
  db_connection_count: number[]
  error_rate: number[]
}

const NO_ORGANIZATION = '00000000-0000-0000-0000-000000000000'

/**
 * Every component's events measured in (from, at], as medians of `sliceSeconds` slices aligned to
 * `at`: a slice's median keeps one outlier from weighing like a trend, and a bounded number of
 * slices keeps the forecaster's pairwise slopes cheap however often a component reports. One row
 * per component; the event_time index bounds the scan.
 */
export async function forecastSeries(
  tx: Tx,
  from: Date,
  at: Date,
  sliceSeconds: number,
  componentName: string | undefined
): Promise<ForecastSeries[]> {
  return await tx<ForecastSeries[]>`
    with slices as (
      select core314.organization_key(organization_id) as organization_key, component_name,
        max(component_type) as component_type,
        avg(extract(epoch from event_time))::float8 * 1000 as t,
        percentile_cont(0.5) within group (order by memory_usage_percent::float8) as memory_usage_percent,
        percentile_cont(0.5) within group (order by disk_usage_percent::float8) as disk_usage_percent,
        percentile_cont(0.5) within group (order by db_connection_count::float8) as db_connection_count,
        percentile_cont(0.5) within group (order by error_rate::float8) as error_rate
      from system_health_events
      where event_time > ${from} and event_time <= ${at}
        ${componentName === undefined ? tx`` : tx`and component_name = ${componentName}`}
      group by 1, 2, date_bin(make_interval(secs => ${sliceSeconds}), event_time, ${at}::timestamptz)
    )
    select nullif(organization_key, ${NO_ORGANIZATION}::uuid) as organization_id, component_name,
      max(component_type) as component_type,
      array_agg(t order by t) as t,
      array_agg(memory_usage_percent order by t) as memory_usage_percent,
      array_agg(disk_usage_percent order by t) as disk_usage_percent,
      array_agg(db_connection_count order by t) as db_connection_count,
      array_agg(error_rate order by t) as error_rate
    from slices
    group by organization_key, component_name
    order by organization_key, component_name`
}

export interface OpenAlert {
  id: string
  organization_id: string | null
  component_name: string
  metric_name: string
  /** Epoch ms; null on an alert another writer left without one. */
  forecast_target_time: number | null
  anomaly_signal_id: string | null
}

/** The open alerts (active or acknowledged) the forecaster keeps. */
export async function openAlerts(tx: Tx, componentName: string | undefined): Promise<OpenAlert[]> {
  return await tx<OpenAlert[]>`
    select id, organization_id, component_name, metric_name,
      extract(epoch from forecast_target_time)::float8 * 1000 as forecast_target_time, anomaly_signal_id
    from predictive_alerts
    where status in ('active', 'acknowledged') and component_name is not null
      ${componentName === undefined ? tx`` : tx`and component_name = ${componentName}`}`
}

export const ALERT_COLUMNS = [
  'organization_id',
  'component_name',
  'component_type',
  'alert_type',
  'metric_name',
  'predicted_value',
  'actual_value',
  'threshold_value',
  'forecast_target_time',
  'confidence_score',
  'severity',
  'message',
  'metadata'
] as const

export type AlertDraft = Record<(typeof ALERT_COLUMNS)[number], unknown>

// Numerics as numbers and times as PostgreSQL prints them, as the API returns them.
const ROW = (tx: Tx) => tx`
  id, user_id, organization_id, component_name, component_type, alert_type, metric_name,
  predicted_value::float8 as predicted_value, actual_value::float8 as actual_value,
  threshold_value::float8 as threshold_value, forecast_target_time, confidence_score::float8 as confidence_score,
  severity, message, status, metadata, anomaly_signal_id, closed_at, created_at, updated_at`

export type WrittenAlert = PredictiveAlertRow & { inserted: boolean }

/**
 * Opens each draft's alert, or refreshes the open one of the same organization, component and
 * metric: the unique index makes it one row however many runs write at once.
 */
export async function upsertAlerts(tx: Tx, drafts: AlertDraft[]): Promise<WrittenAlert[]> {
  if (drafts.length === 0) return []
  return await tx<WrittenAlert[]>`
    insert into predictive_alerts ${tx(drafts as never, [...ALERT_COLUMNS])}
    on conflict (core314.organization_key(organization_id), component_name, metric_name)
      where status in ('active', 'acknowledged') and component_name is not null
    do update set
      component_type = excluded.component_type,
      predicted_value = excluded.predicted_value,
      actual_value = excluded.actual_value,
      threshold_value = excluded.threshold_value,
      forecast_target_time = excluded.forecast_target_time,
      confidence_score = excluded.confidence_score,
      severity = excluded.severity,
      message = excluded.message,
      metadata = predictive_alerts.metadata || excluded.metadata
    returning ${ROW(tx)}, (xmax = 0) as inserted`
}

export interface AlertClosing {
  id: string
  status: 'resolved' | 'expired'
  note: string
}

/** Closes open alerts (a closed one stays closed), with the reason in metadata.closing_note. */
export async function closeAlerts(tx: Tx, closings: AlertClosing[], at: Date): Promise<PredictiveAlertRow[]> {
  if (closings.length === 0) return []
  return await tx<PredictiveAlertRow[]>`
    update predictive_alerts a
    set status = c.next_status, closed_at = ${at}, metadata = a.metadata || jsonb_build_object('closing_note', c.note)
    from jsonb_to_recordset(${tx.json(closings.map(({ id, status, note }) => ({ alert_id: id, next_status: status, note })) as never)})
      as c(alert_id uuid, next_status text, note text)
    where a.id = c.alert_id and a.status in ('active', 'acknowledged')
    returning ${ROW(tx)}`
}

/** Records the signal each alert opened. */
export async function linkSignals(tx: Tx, links: Array<{ id: string; signal_id: string }>): Promise<void> {
  if (links.length === 0) return
  await tx`
    update predictive_alerts a set anomaly_signal_id = l.signal_id
    from jsonb_to_recordset(${tx.json(links as never)}) as l(id uuid, signal_id uuid)
    where a.id = l.id`
}

export interface AlertFilters {
  /** Only this organization's (null: the platform's); undefined: every one the caller may see. */
  organizationId: string | null | undefined
  component_name?: string | undefined
  metric_name?: string | undefined
  status?: string | undefined
  severity?: string | undefined
}

/** A page of the alerts the caller may read, newest first; limit + 1 rows for the next cursor. */
export async function listAlerts(
  tx: Tx,
  filters: AlertFilters,
  cursor: Cursor | undefined,
  limit: number
): Promise<Array<PredictiveAlertRow & { cursor_time: string }>> {
  const equals = (column: string, value: string | undefined) =>
    value === undefined ? tx`` : tx`and ${tx(column)} = ${value}`
  return await tx<Array<PredictiveAlertRow & { cursor_time: string }>>`
    select ${ROW(tx)}, created_at::text as cursor_time
    from predictive_alerts
    where true
      ${filters.organizationId === undefined ? tx`` : tx`and ${sameOrganization(tx, 'organization_id', filters.organizationId)}`}
      ${equals('component_name', filters.component_name)}
      ${equals('metric_name', filters.metric_name)}
      ${equals('status', filters.status)}
      ${equals('severity', filters.severity)}
      ${cursor === undefined ? tx`` : tx`and (created_at, id) < (${cursor.time}::text::timestamptz, ${cursor.id}::uuid)`}
    order by created_at desc, id desc
    limit ${limit + 1}`
}

export async function findAlert(tx: Tx, id: string): Promise<PredictiveAlertRow | undefined> {
  const [row] = await tx<PredictiveAlertRow[]>`select ${ROW(tx)} from predictive_alerts where id = ${id}`
  return row
}
