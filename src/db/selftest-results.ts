// The self-test helper functions of the seed and the deletion of old results, as the caller.
import type { Tx } from './client.js'
import type { SelftestRow } from '../schemas/selftests.js'
import type { BaselineComparisonRow, SelftestStatisticsRow, SelftestTrendRow } from '../schemas/selftest-reports.js'

export async function latestResults(
  tx: Tx,
  category: string | null,
  componentName: string | null,
  organizationId: string | null
): Promise<SelftestRow[]> {
  return await tx<
    SelftestRow[]
  >`select * from get_latest_selftest_results(${category}, ${componentName}, ${organizationId}::uuid)`
}

export async function selftestStatistics(
  tx: Tx,
  since: string,
  until: string,
  category: string | null,
  organizationId: string | null
): Promise<SelftestStatisticsRow[]> {
  return await tx<SelftestStatisticsRow[]>`
    select * from get_selftest_statistics(${since}::text::timestamptz, ${until}::text::timestamptz, ${category}, ${organizationId}::uuid)`
}

export async function selftestTrends(
  tx: Tx,
  testName: string | null,
  since: string,
  until: string,
  bucket: string,
  organizationId: string | null
): Promise<SelftestTrendRow[]> {
  return await tx<SelftestTrendRow[]>`
    select * from get_selftest_trends(${testName}, ${since}::text::timestamptz, ${until}::text::timestamptz, ${bucket}::interval, ${organizationId}::uuid)`
}

export async function baselineComparison(
  tx: Tx,
  id: string,
  baselineRuns: number,
  thresholdPercentage: number
): Promise<BaselineComparisonRow | undefined> {
  const [row] = await tx<
    BaselineComparisonRow[]
  >`select * from compare_with_baseline(${id}, ${baselineRuns}, ${thresholdPercentage})`
  return row
}

/** Deletes the visible results created before `before`; returns how many. */
export async function deleteResultsBefore(tx: Tx, before: string): Promise<number> {
  const rows = await tx`delete from selftest_results where created_at < ${before}::text::timestamptz returning 1`
  return rows.length
}
