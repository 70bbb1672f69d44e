// Self-test results as callers see them: stored by services (and, later, the runner), read
// under RLS with the seed's reports, and pruned by admins.
import { visibleOwner, type Caller } from '../db/caller.js'
import type { Db } from '../db/port.js'
import {
  baselineComparison,
  deleteResultsBefore,
  latestResults,
  selftestStatistics,
  selftestTrends
} from '../db/selftest-results.js'
import { findRow, insertRow, listRows } from '../db/rows.js'
import { decodeCursor, toPage, type Page } from '../db/pagination.js'
import { SELFTEST_COLUMNS, type SelftestInputBody, type SelftestRow } from '../schemas/selftests.js'
import type { BaselineComparisonRow, SelftestStatisticsRow, SelftestTrendRow } from '../schemas/selftest-reports.js'
import { createOnce, type Created, type Idempotency } from './idempotency.js'
import { errors } from '../errors.js'

export async function recordSelftestResult(
  db: Db,
  caller: Caller,
  input: SelftestInputBody,
  idempotency: Idempotency
): Promise<Created<SelftestRow>> {
  return await db.asCaller(
    caller,
    async tx =>
      await createOnce(tx, idempotency, async () => ({
        status: 201,
        body: await insertRow<SelftestRow>(tx, 'selftest_results', input, SELFTEST_COLUMNS)
      }))
  )
}

export async function getSelftestResult(db: Db, caller: Caller, id: string): Promise<SelftestRow> {
  const row = await db.asCaller(caller, async tx => await findRow<SelftestRow>(tx, 'selftest_results', id))
  if (row === undefined) throw new errors.SelftestResultNotFound(`self-test result ${id} not found`)
  return row
}

export interface SelftestFilters {
  test_name?: string | undefined
  test_category?: string | undefined
  execution_status?: string | undefined
  regression_detected?: boolean | undefined
}

export async function pageSelftestResults(
  db: Db,
  caller: Caller,
  filters: SelftestFilters,
  cursor: string | undefined,
  limit: number
): Promise<Page<SelftestRow>> {
  const query = {
    equals: { ...filters, user_id: visibleOwner(caller) },
    cursor: cursor === undefined ? undefined : decodeCursor(cursor),
    limit
  }
  return toPage(
    await db.asCaller(caller, async tx => await listRows<SelftestRow>(tx, 'selftest_results', query)),
    limit
  )
}

export async function listLatestSelftestResults(
  db: Db,
  caller: Caller,
  category?: string,
  componentName?: string,
  organizationId?: string
): Promise<SelftestRow[]> {
  return await db.asCaller(
    caller,
    async tx => await latestResults(tx, category ?? null, componentName ?? null, organizationId ?? null)
  )
}

export async function summariseSelftests(
  db: Db,
  caller: Caller,
  since: string,
  until: string,
  category?: string,
  organizationId?: string
): Promise<SelftestStatisticsRow[]> {
  return await db.asCaller(
    caller,
    async tx => await selftestStatistics(tx, since, until, category ?? null, organizationId ?? null)
  )
}

export async function trendSelftests(
  db: Db,
  caller: Caller,
  since: string,
  until: string,
  bucket: string,
  testName?: string,
  organizationId?: string
): Promise<SelftestTrendRow[]> {
  return await db.asCaller(
    caller,
    async tx => await selftestTrends(tx, testName ?? null, since, until, bucket, organizationId ?? null)
  )
}

export async function compareSelftestWithBaseline(
  db: Db,
  caller: Caller,
  id: string,
  baselineRuns: number,
  thresholdPercentage: number
): Promise<BaselineComparisonRow> {
  const row = await db.asCaller(caller, async tx => await baselineComparison(tx, id, baselineRuns, thresholdPercentage))
  if (row === undefined) throw new errors.SelftestResultNotFound(`self-test result ${id} not found`)
  return row
}

export async function deleteSelftestResultsBefore(db: Db, caller: Caller, before: string): Promise<number> {
  return await db.asCaller(caller, async tx => await deleteResultsBefore(tx, before))
}
