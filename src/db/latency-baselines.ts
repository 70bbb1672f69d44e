// A component's usual latency, from its own recent health events: the median p95 of its last
// few events, so one bad window does not move it. A component is its organization's: another
// organization's component of the same name is not its history. One statement for every
// component of a monitor run; each lookup walks system_health_events_component_key_idx newest
// first and stops after `maxEvents` rows.
import type { Tx } from './client.js'

export interface ComponentKey {
  organization_id?: string | null | undefined
  component_type: string
  component_name: string
}

export interface LatencyBaselineRow extends ComponentKey {
  organization_id: string | null
  events: number
  latency_p95_ms: number | null
}

export interface BaselineQuery {
  since: Date
  maxEvents: number
}

export async function latencyBaselines(
  tx: Tx,
  components: ComponentKey[],
  query: BaselineQuery
): Promise<LatencyBaselineRow[]> {
  if (components.length === 0) return []
  return await tx<LatencyBaselineRow[]>`
    select c.organization_id, c.component_type, c.component_name, b.events, b.latency_p95_ms
    from unnest(${components.map(c => c.organization_id ?? null)}::uuid[], ${components.map(c => c.component_type)}::text[],
      ${components.map(c => c.component_name)}::text[]) as c(organization_id, component_type, component_name)
    cross join lateral (
      select count(*)::int as events,
        round((percentile_cont(0.5) within group (order by recent.latency_p95_ms::float8))::numeric, 3) as latency_p95_ms
      from (
        select e.latency_p95_ms
        from system_health_events e
        where core314.organization_key(e.organization_id) = core314.organization_key(c.organization_id)
          and e.component_name = c.component_name and e.component_type = c.component_type
          and e.event_time >= ${query.since} and e.latency_p95_ms is not null
        order by e.event_time desc
        limit ${query.maxEvents}
      ) recent
    ) b`
}
