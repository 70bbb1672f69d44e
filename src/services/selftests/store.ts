// Stores one result and everything that follows from it, in one transaction as the service
// role: the pinned baseline (if configured and really a result of this test), the comparison
// compare_with_baseline() makes (stored as it returns it), the reliability and performance
// scores, and the anomaly signal a failure or a regression raises (or resolves, once the test
// is healthy again), recorded on the result as the notification it sent.
import { SERVICE_CALLER } from '../../db/caller.js'
import { insertRow } from '../../db/rows.js'
import { baselineComparison } from '../../db/selftest-results.js'
import { finishResult, isResultOf, recentSuccessRate, regressedRunsBefore } from '../../db/selftest-runs.js'
import { raiseSignal, resolveSignal, type SelftestAnomalyType, type SelftestSignal } from '../../db/selftest-signals.js'
import type { Tx } from '../../db/client.js'
import type { Config } from '../../config.js'
import type { Db } from '../../db/port.js'
import { SELFTEST_COLUMNS, type SelftestInputBody, type SelftestRow } from '../../schemas/selftests.js'
import type { BaselineComparisonRow } from '../../schemas/selftest-reports.js'
import { performanceScore } from './scores.js'
import type { SelftestDefinition } from './types.js'

/** Runs the reliability score is taken over (this one included). */
export const RELIABILITY_RUNS = 10

export function signalComponent(testName: string): string {
  return `selftest:${testName}`
}

interface Judgement {
  comparison: BaselineComparisonRow | undefined
  regression: boolean
  /** The regression has lasted SELFTEST_REGRESSION_RUNS runs: worth a signal. */
  sustained: boolean
  improvement: boolean
}

// compare_with_baseline's verdict, with one addition: a change in duration must also be at
// least SELFTEST_REGRESSION_MIN_MS, since a few milliseconds of jitter are a large percentage of
// a short test. A skipped run measured nothing, so it is not compared (the function would call
// its missing success a regression). One slow run on a busy machine is not worth a page: the
// regression is sustained, and signalled, only once SELFTEST_REGRESSION_RUNS runs in a row regressed.
async function judge(tx: Tx, row: SelftestRow, config: Config): Promise<Judgement> {
  if (row.success === null) return { comparison: undefined, regression: false, sustained: false, improvement: false }
  const comparison = await baselineComparison(
    tx,
    row.id,
    config.selftests.baselineRuns,
    config.selftests.regressionPercent
  )
  if (comparison === undefined) return { comparison, regression: false, sustained: false, improvement: false }
  const slower = (row.execution_duration_ms ?? 0) - (comparison.baseline_execution_duration_ms ?? 0)
  const { regressionMinMs, regressionRuns } = config.selftests
  const broke = comparison.baseline_success === true && row.success !== true
  const mended = comparison.baseline_success === false && row.success === true
  const regression = comparison.regression_detected === true && (broke || slower >= regressionMinMs)
  return {
    comparison,
    regression,
    sustained: regression && (await regressedRunsBefore(tx, row.test_name, row.id, regressionRuns - 1)),
    improvement: comparison.improvement_detected === true && (mended || -slower >= regressionMinMs)
  }
}

function signalOf(
  type: SelftestAnomalyType,
  definition: SelftestDefinition,
  row: SelftestRow,
  comparison: BaselineComparisonRow | undefined
): SelftestSignal {
  const failure = type === 'selftest_failure'
  const deviation = comparison?.baseline_deviation_percentage ?? null
  return {
    anomaly_type: type,
    severity: row.severity ?? definition.failureSeverity,
    // A failed assertion is an observation, not an estimate; a slowdown is judged against a
    // median of past runs, which noise can still move.
    confidence_score: failure ? 1 : 0.8,
    source_id: row.id,
    source_component_type: definition.category,
    source_component_name: signalComponent(definition.name),
    anomaly_summary: failure
      ? `Self-test ${definition.name} failed`
      : `Self-test ${definition.name} ran ${deviation ?? '?'}% slower than its baseline`,
    anomaly_description: failure
      ? `${row.test_summary ?? ''}. ${row.failure_reason ?? ''}`.trim()
      : `${row.test_summary ?? ''}. Baseline (${comparison?.baseline_source ?? 'none'}) ${comparison?.baseline_execution_duration_ms ?? '?'} ms.`,
    recommended_actions: [
      {
        action_type: 'alert_escalation',
        reason:
          row.recommendations.map(String).join(' ') || `Self-test ${definition.name} needs a person to look at it.`
      }
    ],
    baseline_value: comparison?.baseline_execution_duration_ms ?? null,
    observed_value: row.execution_duration_ms,
    deviation_percentage: deviation,
    detection_algorithm: failure ? 'selftest_assertions' : `selftest_baseline_${comparison?.baseline_source ?? 'none'}`,
    metadata: {
      test_name: definition.name,
      result_id: row.id,
      test_result: row.test_result,
      execution_status: row.execution_status
    }
  }
}

interface Notification {
  channel: 'anomaly_signals'
  anomaly_type: SelftestAnomalyType
  anomaly_id: string
  action: 'opened' | 'updated' | 'resolved'
  at: string
}

// A failure raises selftest_failure only: a failed run also "regresses" against a passing
// baseline, and paging twice for one fault helps nobody.
async function notify(
  tx: Tx,
  definition: SelftestDefinition,
  row: SelftestRow,
  judgement: Judgement
): Promise<Notification[]> {
  const at = new Date().toISOString()
  const component = signalComponent(definition.name)
  const raised: Array<SelftestAnomalyType | undefined> = [
    row.success === false ? 'selftest_failure' : undefined,
    row.success === true && judgement.sustained ? 'selftest_regression' : undefined
  ]
  const notifications: Notification[] = []
  for (const type of raised) {
    if (type === undefined) continue
    const signal = await raiseSignal(tx, definition.name, signalOf(type, definition, row, judgement.comparison))
    if (signal === undefined) continue
    notifications.push({
      channel: 'anomaly_signals',
      anomaly_type: type,
      anomaly_id: signal.id,
      action: signal.inserted ? 'opened' : 'updated',
      at
    })
  }
  if (row.success === true) {
    const healed: SelftestAnomalyType[] = judgement.regression
      ? ['selftest_failure']
      : ['selftest_failure', 'selftest_regression']
    for (const type of healed) {
      for (const id of await resolveSignal(
        tx,
        component,
        type,
        `Resolved by self-test result ${row.id}: ${row.test_summary ?? ''}`
      )) {
        notifications.push({ channel: 'anomaly_signals', anomaly_type: type, anomaly_id: id, action: 'resolved', at })
      }
    }
  }
  return notifications
}

export async function storeResult(
  db: Db,
  config: Config,
  definition: SelftestDefinition,
  input: SelftestInputBody
): Promise<SelftestRow> {
  return await db.asCaller(SERVICE_CALLER, async tx => {
    const pinned = config.selftests.baselines[definition.name]
    const baselineId = pinned !== undefined && (await isResultOf(tx, pinned, definition.name)) ? pinned : null
    const row = await insertRow<SelftestRow>(
      tx,
      'selftest_results',
      { ...input, baseline_test_id: baselineId },
      SELFTEST_COLUMNS
    )
    const judgement = await judge(tx, row, config)
    const finished = row.execution_status === 'completed'
    const recommendations =
      judgement.regression && row.success === true
        ? [
            ...row.recommendations,
            `Find what slowed ${definition.name}: ${judgement.comparison?.baseline_deviation_percentage ?? '?'}% over its baseline`
          ]
        : row.recommendations
    const severity = row.success === true && judgement.regression ? 'medium' : row.severity
    const notifications = await notify(tx, definition, { ...row, recommendations, severity }, judgement)
    return await finishResult(tx, row.id, {
      baseline_deviation_percentage: judgement.comparison?.baseline_deviation_percentage ?? null,
      regression_detected: judgement.regression,
      improvement_detected: judgement.improvement,
      reliability_score: await recentSuccessRate(tx, definition.name, RELIABILITY_RUNS),
      performance_score:
        row.success === null
          ? null
          : performanceScore(
              row.execution_duration_ms ?? 0,
              judgement.comparison?.baseline_execution_duration_ms ?? null,
              definition.timeoutSeconds * 1000,
              finished
            ),
      recommendations,
      action_required: row.action_required || judgement.regression,
      severity,
      notifications_sent: notifications,
      notification_channels: notifications.length === 0 ? [] : ['anomaly_signals']
    })
  })
}
