// The health helper functions of the seed, called as the caller (SECURITY INVOKER: RLS applies).
import type { Tx } from './client.js'
import type {
  ComponentHealthRow,
  ComponentTrendBody,
  PerformanceTrendRow,
  SystemAvailabilityRow,
  UnhealthyComponentRow
} from '../schemas/health-reports.js'

export interface Period {
  since: string
  until: string
}

export async function healthSummary(
  tx: Tx,
  period: Period,
  componentType: string | null,
  organizationId: string | null
): Promise<ComponentHealthRow[]> {
  return await tx<ComponentHealthRow[]>`
    select * from get_system_health_summary(${period.since}::text::timestamptz, ${period.until}::text::timestamptz, ${componentType}, ${organizationId}::uuid)`
}

export interface ComponentFilter {
  componentType: string | null
  organizationId: string | null
  /** Part of the component's name, any case. */
  search: string | null
  status: string | null
}

/** One page of the period's summary, in its order (worst first), with the count of all that match. */
export async function healthSummaryPage(
  tx: Tx,
  period: Period,
  filter: ComponentFilter,
  limit: number,
  offset: number
): Promise<{ items: ComponentHealthRow[]; total: number }> {
  const rows = await tx<(ComponentHealthRow & { total: number; ordinality: string })[]>`
    select summary.*, count(*) over ()::int as total
    from get_system_health_summary(${period.since}::text::timestamptz, ${period.until}::text::timestamptz,
      ${filter.componentType}, ${filter.organizationId}::uuid) with ordinality as summary
    where (${filter.search}::text is null or strpos(lower(summary.component_name), lower(${filter.search}::text)) > 0)
      and (${filter.status}::text is null or summary.status = ${filter.status}::text)
    order by summary.ordinality
    limit ${limit} offset ${offset}`
  return {
    total: rows[0]?.total ?? 0,
    items: rows.map(({ total: _total, ordinality: _ordinality, ...row }) => row)
  }
}

/** A component of the summary: its key within the rows the caller may see. */
export interface ComponentKey {
  organization_id: string | null
  component_type: string
  component_name: string
}

/**
 * The named components' period in equal slots of `bucket`, one array per metric, every slot
 * present (null where nothing reported), so a chart's x axis is the slot's index. One query for
 * a page of components: the console draws its rows' charts from it. JSON arrays, as postgres.js
 * parses no null inside a float8[].
 */
export async function componentTrends(
  tx: Tx,
  period: Period,
  components: ComponentKey[],
  bucket: string
): Promise<Array<ComponentKey & Omit<ComponentTrendBody, 'bucket'>>> {
  if (components.length === 0) return []
  return await tx<Array<ComponentKey & Omit<ComponentTrendBody, 'bucket'>>>`
    with page as (
      select * from unnest(${components.map(c => c.organization_id)}::uuid[], ${components.map(c => c.component_type)}::text[],
        ${components.map(c => c.component_name)}::text[]) as page(organization_id, component_type, component_name)
    ),
    slots as (
      select generate_series(
        date_bin(${bucket}::interval, ${period.since}::text::timestamptz, timestamptz '2000-01-01 00:00:00+00'),
        ${period.until}::text::timestamptz, ${bucket}::interval) as slot
    ),
    measured as (
      select page.organization_id, e.component_type, e.component_name,
        date_bin(${bucket}::interval, e.event_time, timestamptz '2000-01-01 00:00:00+00') as slot,
        round(avg(e.latency_p95_ms), 2) as latency_p95_ms,
        round(avg(e.error_rate), 2) as error_rate,
        round(avg(e.cpu_usage_percent), 2) as cpu_usage_percent,
        round(avg(e.memory_usage_percent), 2) as memory_usage_percent
      from system_health_events e
      join page on core314.organization_key(e.organization_id) = core314.organization_key(page.organization_id)
        and e.component_type = page.component_type and e.component_name = page.component_name
      where e.event_time between ${period.since}::text::timestamptz and ${period.until}::text::timestamptz
      group by 1, 2, 3, 4
    )
    select page.organization_id, page.component_type, page.component_name, min(slots.slot) as bucket_start,
      json_agg(measured.latency_p95_ms order by slots.slot) as latency_p95_ms,
      json_agg(measured.error_rate order by slots.slot) as error_rate,
      json_agg(measured.cpu_usage_percent order by slots.slot) as cpu_usage_percent,
      json_agg(measured.memory_usage_percent order by slots.slot) as memory_usage_percent
    from page
    cross join slots
    left join measured on core314.organization_key(measured.organization_id) = core314.organization_key(page.organization_id)
      and measured.component_type = page.component_type and measured.component_name = page.component_name
      and measured.slot = slots.slot
    group by page.organization_id, page.component_type, page.component_name`
}

export async function unhealthyComponents(
  tx: Tx,
  since: string,
  organizationId: string | null,
  environment: string | null
): Promise<UnhealthyComponentRow[]> {
  return await tx<UnhealthyComponentRow[]>`
    select * from get_unhealthy_components(${since}::text::timestamptz, ${organizationId}::uuid, ${environment})`
}

export async function performanceTrends(
  tx: Tx,
  period: Period,
  componentName: string | null,
  bucket: string,
  organizationId: string | null
): Promise<PerformanceTrendRow[]> {
  return await tx<PerformanceTrendRow[]>`
    select * from get_performance_trends(${componentName}, ${period.since}::text::timestamptz, ${period.until}::text::timestamptz, ${bucket}::interval, ${organizationId}::uuid)`
}

export async function systemAvailability(
  tx: Tx,
  period: Period,
  componentName: string | null,
  organizationId: string | null,
  target: number
): Promise<SystemAvailabilityRow> {
  const [row] = await tx<SystemAvailabilityRow[]>`
    select * from calculate_system_availability(${period.since}::text::timestamptz, ${period.until}::text::timestamptz, ${componentName}, ${organizationId}::uuid, ${target})`
  return row as SystemAvailabilityRow
}
