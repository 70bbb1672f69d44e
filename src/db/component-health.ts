// A component's latest measured health, for the engine's before-and-after measurements: latest
// by event time, so an event measured before the action but delivered after it is no "after".
import type { Tx } from './client.js'
import { sameOrganization, type ComponentKey } from './organization-key.js'

export interface HealthSnapshotRow {
  id: string
  status: string
  event_time: string
  latency_ms: number | null
  latency_p95_ms: number | null
  error_rate: number | null
  availability_percentage: number | null
  cpu_usage_percent: number | null
  memory_usage_percent: number | null
  throughput_per_minute: number | null
}

/** The newest event of the organization's component by event time, measured at or after `since` when given. */
export async function latestHealth(
  tx: Tx,
  key: ComponentKey,
  since: string | null
): Promise<HealthSnapshotRow | undefined> {
  const [row] = await tx<HealthSnapshotRow[]>`
    select id, status, event_time, latency_ms, latency_p95_ms, error_rate, availability_percentage,
      cpu_usage_percent, memory_usage_percent, throughput_per_minute
    from system_health_events
    where ${sameOrganization(tx, 'organization_id', key.organizationId)} and component_name = ${key.componentName}
      and (${since}::timestamptz is null or event_time >= ${since}::timestamptz)
    order by event_time desc, id desc
    limit 1`
  return row
}
