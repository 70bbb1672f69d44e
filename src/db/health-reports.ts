// The health helper functions of the seed, called as the caller (SECURITY INVOKER: RLS applies).
import type { Tx } from './client.js'
import type {
  ComponentHealthRow,
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
