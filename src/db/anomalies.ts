// The anomaly helper functions of the seed, called as the caller (SECURITY INVOKER: RLS applies).
import type { Tx } from './client.js'
import type { AnomalyRow } from '../schemas/anomalies.js'
import type { AnomalyStatisticsRow, CorrelatedAnomalyRow } from '../schemas/anomaly-reports.js'

export async function activeAnomalies(
  tx: Tx,
  filters: {
    min_severity: string
    component_name?: string | undefined
    organization_id?: string | undefined
    limit: number
  }
): Promise<AnomalyRow[]> {
  return await tx<AnomalyRow[]>`
    select * from get_active_anomalies(${filters.min_severity}, ${filters.component_name ?? null}, ${filters.organization_id ?? null}::uuid, ${filters.limit})`
}

export async function anomalyStatistics(
  tx: Tx,
  filters: { since: string; until: string; component_name?: string | undefined; organization_id?: string | undefined }
): Promise<AnomalyStatisticsRow> {
  const [row] = await tx<AnomalyStatisticsRow[]>`
    select * from get_anomaly_statistics(${filters.since}::text::timestamptz, ${filters.until}::text::timestamptz, ${filters.component_name ?? null}, ${filters.organization_id ?? null}::uuid)`
  return row as AnomalyStatisticsRow
}

export async function correlatedAnomalies(
  tx: Tx,
  id: string,
  windowMinutes: number,
  limit: number
): Promise<CorrelatedAnomalyRow[]> {
  return await tx<CorrelatedAnomalyRow[]>`
    select * from find_correlated_anomalies(${id}, make_interval(mins => ${windowMinutes}), ${limit})`
}

export async function updateAnomalyStatus(
  tx: Tx,
  id: string,
  status: string,
  notes: string | undefined
): Promise<AnomalyRow> {
  const [row] = await tx<AnomalyRow[]>`select * from update_anomaly_status(${id}, ${status}, ${notes ?? null})`
  return row as AnomalyRow
}
