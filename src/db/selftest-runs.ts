// What the self-test runner reads and writes besides the row it inserts: the result it pins as
// a baseline, the test's recent pass rate, the columns it fills once the row is in, and the
// retention of old results. Run as the service role.
import type { Tx } from './client.js'
import type { SelftestRow } from '../schemas/selftests.js'

/** True when `id` is a result of `testName` (a pin to another test's result is ignored). */
export async function isResultOf(tx: Tx, id: string, testName: string): Promise<boolean> {
  const [row] = await tx<
    { found: boolean }[]
  >`select exists (select 1 from selftest_results where id = ${id} and test_name = ${testName}) as found`
  return row?.found === true
}

/** Percent of the test's last `runs` judged results (skipped ones aside) that succeeded. */
export async function recentSuccessRate(tx: Tx, testName: string, runs: number): Promise<number | null> {
  const [row] = await tx<{ rate: number | null }[]>`
    select round(100.0 * count(*) filter (where recent.success) / nullif(count(*), 0), 2) as rate
    from (
      select s.success from selftest_results s
      where s.test_name = ${testName} and s.organization_id is null and s.test_result is distinct from 'skipped'
      order by s.created_at desc, s.id desc
      limit ${runs}
    ) recent`
  return row?.rate ?? null
}

/** True when the test's last `runs` judged results before `id` (skipped ones aside) all regressed. */
export async function regressedRunsBefore(tx: Tx, testName: string, id: string, runs: number): Promise<boolean> {
  if (runs === 0) return true
  const [row] = await tx<{ regressed: boolean }[]>`
    select count(*) = ${runs} and bool_and(previous.regression_detected) as regressed
    from (
      select s.regression_detected from selftest_results s
      where s.test_name = ${testName} and s.organization_id is null and s.test_result is distinct from 'skipped'
        and (s.created_at, s.id) < (select created_at, id from selftest_results where id = ${id})
      order by s.created_at desc, s.id desc
      limit ${runs}
    ) previous`
  return row?.regressed === true
}

export type FinishingColumns = Pick<
  SelftestRow,
  | 'baseline_deviation_percentage'
  | 'regression_detected'
  | 'improvement_detected'
  | 'reliability_score'
  | 'performance_score'
  | 'recommendations'
  | 'action_required'
  | 'severity'
  | 'notifications_sent'
  | 'notification_channels'
>

const FINISHING = [
  'baseline_deviation_percentage',
  'regression_detected',
  'improvement_detected',
  'reliability_score',
  'performance_score',
  'recommendations',
  'action_required',
  'severity',
  'notifications_sent',
  'notification_channels'
] as const

export async function finishResult(tx: Tx, id: string, columns: FinishingColumns): Promise<SelftestRow> {
  const values = {
    ...columns,
    recommendations: tx.json(columns.recommendations as never),
    notifications_sent: tx.json(columns.notifications_sent as never)
  }
  const [row] = await tx<
    SelftestRow[]
  >`update selftest_results set ${tx(values as never, FINISHING)} where id = ${id} returning *`
  if (row === undefined) throw new Error(`self-test result ${id} vanished while it was being stored`)
  return row
}

/** Deletes results created more than `days` days ago; returns how many. */
export async function purgeResultsOlderThan(tx: Tx, days: number): Promise<number> {
  const rows =
    await tx`delete from selftest_results where created_at < now() - make_interval(days => ${days}) returning 1`
  return rows.length
}
