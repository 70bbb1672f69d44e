// Health reports over a period, as the caller sees the events.
import type { Caller } from '../db/caller.js'
import type { Db } from '../db/port.js'
import {
  healthSummary,
  healthSummaryPage,
  type ComponentFilter,
  performanceTrends,
  systemAvailability,
  unhealthyComponents,
  type Period
} from '../db/health-reports.js'
import type {
  ComponentHealthRow,
  PerformanceTrendRow,
  SystemAvailabilityRow,
  UnhealthyComponentRow
} from '../schemas/health-reports.js'

export async function summariseHealth(
  db: Db,
  caller: Caller,
  period: Period,
  componentType?: string,
  organizationId?: string
): Promise<ComponentHealthRow[]> {
  return await db.asCaller(
    caller,
    async tx => await healthSummary(tx, period, componentType ?? null, organizationId ?? null)
  )
}

export async function pageComponentHealth(
  db: Db,
  caller: Caller,
  period: Period,
  filter: ComponentFilter,
  page: { limit: number; offset: number }
): Promise<{ items: ComponentHealthRow[]; total: number }> {
  return await db.asCaller(caller, async tx => await healthSummaryPage(tx, period, filter, page.limit, page.offset))
}

export async function listUnhealthyComponents(
  db: Db,
  caller: Caller,
  since: string,
  organizationId?: string,
  environment?: string
): Promise<UnhealthyComponentRow[]> {
  return await db.asCaller(
    caller,
    async tx => await unhealthyComponents(tx, since, organizationId ?? null, environment ?? null)
  )
}

export async function trendPerformance(
  db: Db,
  caller: Caller,
  period: Period,
  bucket: string,
  componentName?: string,
  organizationId?: string
): Promise<PerformanceTrendRow[]> {
  return await db.asCaller(
    caller,
    async tx => await performanceTrends(tx, period, componentName ?? null, bucket, organizationId ?? null)
  )
}

export async function measureAvailability(
  db: Db,
  caller: Caller,
  period: Period,
  target: number,
  componentName?: string,
  organizationId?: string
): Promise<SystemAvailabilityRow> {
  return await db.asCaller(
    caller,
    async tx => await systemAvailability(tx, period, componentName ?? null, organizationId ?? null, target)
  )
}
