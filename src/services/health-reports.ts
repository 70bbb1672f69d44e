// Health reports over a period, as the caller sees the events.
import type { Caller } from '../db/caller.js'
import type { Db } from '../db/port.js'
import { InvalidFields } from '../errors.js'
import {
  componentTrends,
  healthSummary,
  healthSummaryPage,
  type ComponentFilter,
  type ComponentKey,
  performanceTrends,
  systemAvailability,
  unhealthyComponents,
  type Period
} from '../db/health-reports.js'
import type {
  ComponentHealthPageBody,
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

/** Slots a row's trend may hold: enough for a chart, few enough to keep a page of rows small. */
export const MAX_TREND_SLOTS = 200

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }

/** A bucket as the trend routes spell it ("30 minutes", "1 hour"), in milliseconds. */
function bucketMs(bucket: string): number {
  const [count, unit] = bucket.split(' ') as [string, string]
  return Number(count) * (UNIT_MS[unit.replace(/s$/, '')] ?? Number.NaN)
}

/**
 * One page of the period's components, worst first; with `trendBucket`, each row also carries
 * its period in slots of that width, read in the same transaction for the page's rows only.
 */
export async function pageComponentHealth(
  db: Db,
  caller: Caller,
  period: Period,
  filter: ComponentFilter,
  page: { limit: number; offset: number; trendBucket?: string | undefined }
): Promise<ComponentHealthPageBody> {
  const { trendBucket } = page
  if (
    trendBucket !== undefined &&
    (Date.parse(period.until) - Date.parse(period.since)) / bucketMs(trendBucket) > MAX_TREND_SLOTS - 1
  )
    throw new InvalidFields([
      {
        path: '/querystring/trend_bucket',
        message: `gives more than ${MAX_TREND_SLOTS} slots between since and until; choose a wider bucket`
      }
    ])
  return await db.asCaller(caller, async tx => {
    const found = await healthSummaryPage(tx, period, filter, page.limit, page.offset)
    if (trendBucket === undefined) return found
    const trends = await componentTrends(tx, period, found.items, trendBucket)
    const key = (row: ComponentKey) =>
      `${row.organization_id ?? ''}\u0000${row.component_type}\u0000${row.component_name}`
    const byKey = new Map(
      trends.map(({ organization_id, component_type, component_name, ...trend }) => [
        key({ organization_id, component_type, component_name }),
        { bucket: trendBucket, ...trend }
      ])
    )
    return {
      total: found.total,
      items: found.items.map(row => {
        const trend = byKey.get(key(row))
        return trend === undefined ? row : { ...row, trend }
      })
    }
  })
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
