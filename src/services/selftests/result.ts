// Turns one finished run of a test (its assertions, timings and how it ended) into the
// selftest_results row the runner stores. Columns that depend on other rows (baseline,
// reliability, performance) are filled by the runner once the row is in.
import type { Severity } from '../analysis/index.js'
import type { SelftestInputBody } from '../../schemas/selftests.js'
import type { Assertion } from './assertions.js'
import { errorRate, healthScore, securityScore, tally, type Tally } from './scores.js'
import type { Settled } from './timeout.js'
import type { SelftestDefinition } from './types.js'

export interface Trigger {
  mode: 'scheduled' | 'manual'
  /** The job (`job:selftest`) or caller (`admin:<id>`) that started the run. */
  scheduledBy: string
  triggeredByUserId: string | null
  reason: string
}

export interface Execution {
  settled: Settled
  assertions: readonly Assertion[]
  responseTimes: readonly number[]
  startedAt: Date
  completedAt: Date
  durationMs: number
  cpuPercent: number
  memoryMb: number
}

type Verdict = Pick<SelftestInputBody, 'execution_status' | 'test_result' | 'success'>

function verdictOf(settled: Settled, counts: Tally): Verdict {
  if (settled.kind === 'timed_out') return { execution_status: 'timeout', test_result: 'failed', success: false }
  if (settled.kind === 'threw') return { execution_status: 'error', test_result: 'error', success: false }
  if (counts.fail > 0) return { execution_status: 'completed', test_result: 'failed', success: false }
  if (counts.warn > 0) return { execution_status: 'completed', test_result: 'warning', success: true }
  if (counts.pass > 0) return { execution_status: 'completed', test_result: 'passed', success: true }
  return { execution_status: 'skipped', test_result: 'skipped', success: null }
}

function severityOf(verdict: Verdict, definition: SelftestDefinition): Severity {
  if (verdict.success === false) return definition.failureSeverity
  return verdict.test_result === 'warning' ? 'medium' : 'low'
}

function line(assertion: Assertion): string {
  return `${assertion.status.toUpperCase()} ${assertion.name}: ${assertion.message}`
}

function summaryOf(definition: SelftestDefinition, verdict: Verdict, counts: Tally, execution: Execution): string {
  const total = counts.pass + counts.fail + counts.warn + counts.skip
  const ending =
    execution.settled.kind === 'timed_out'
      ? `timed out after ${definition.timeoutSeconds} s`
      : execution.settled.kind === 'threw'
        ? 'stopped by an error'
        : (verdict.test_result ?? 'done')
  return `${definition.name} ${ending}: ${counts.pass}/${total} assertions passed, ${counts.fail} failed, ${counts.warn} warned, ${counts.skip} skipped in ${Math.round(execution.durationMs)} ms`
}

function failureReasonOf(definition: SelftestDefinition, execution: Execution): string | null {
  const { settled } = execution
  if (settled.kind === 'timed_out') return `did not finish within its timeout of ${definition.timeoutSeconds} s`
  if (settled.kind === 'threw')
    return `the test threw: ${settled.error instanceof Error ? settled.error.message : String(settled.error)}`
  const failed = execution.assertions.filter(assertion => assertion.status === 'fail')
  return failed.length === 0 ? null : failed.map(assertion => `${assertion.name}: ${assertion.message}`).join('; ')
}

function recommendationsOf(definition: SelftestDefinition, execution: Execution): string[] {
  const advice = execution.assertions
    .filter(assertion => assertion.status === 'fail' || assertion.status === 'warn')
    .map(assertion => assertion.recommendation ?? `Investigate ${assertion.name}: ${assertion.message}`)
  if (execution.settled.kind === 'timed_out')
    advice.push(
      `Find what ${definition.name} waits on: its subject did not answer within ${definition.timeoutSeconds} s`
    )
  if (execution.settled.kind === 'threw') advice.push(`Fix the error ${definition.name} threw (see error_stack_trace)`)
  return [...new Set(advice)]
}

const mean = (values: readonly number[]): number | null =>
  values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length
const round = (value: number | null, digits = 3): number | null =>
  value === null ? null : Number(value.toFixed(digits))

export function resultRow(
  definition: SelftestDefinition,
  execution: Execution,
  trigger: Trigger,
  parameters: Record<string, unknown>,
  environment: string,
  testConfig: Record<string, unknown>
): SelftestInputBody {
  const counts = tally(execution.assertions)
  const verdict = verdictOf(execution.settled, counts)
  const finished = execution.settled.kind === 'returned'
  const error = execution.settled.kind === 'threw' ? execution.settled.error : undefined
  const probeSeconds = execution.responseTimes.reduce((sum, ms) => sum + ms, 0) / 1000
  const byStatus = (status: Assertion['status']): Assertion[] =>
    execution.assertions.filter(assertion => assertion.status === status)
  return {
    user_id: null,
    organization_id: null,
    test_name: definition.name,
    test_category: definition.category,
    test_type: definition.type,
    test_description: definition.description,
    test_version: definition.version,
    execution_mode: trigger.mode,
    scheduled_by: trigger.scheduledBy,
    triggered_by_user_id: trigger.triggeredByUserId,
    trigger_reason: trigger.reason,
    target_component_type: definition.target.componentType,
    target_component_name: definition.target.componentName,
    target_environment: environment,
    ...verdict,
    started_at: execution.startedAt.toISOString(),
    completed_at: execution.completedAt.toISOString(),
    execution_duration_ms: round(execution.durationMs),
    timeout_seconds: definition.timeoutSeconds,
    pass_count: counts.pass,
    fail_count: counts.fail,
    warning_count: counts.warn,
    skip_count: counts.skip,
    total_assertions: execution.assertions.length,
    test_output: execution.assertions.map(line).join('\n'),
    test_summary: summaryOf(definition, verdict, counts, execution),
    failure_reason: verdict.success === false ? failureReasonOf(definition, execution) : null,
    error_message:
      error === undefined
        ? execution.settled.kind === 'timed_out'
          ? `timed out after ${definition.timeoutSeconds} s`
          : null
        : error instanceof Error
          ? error.message
          : String(error),
    error_stack_trace: error instanceof Error ? (error.stack ?? null) : null,
    response_time_ms: round(mean(execution.responseTimes)),
    throughput_per_second: probeSeconds > 0 ? round(execution.responseTimes.length / probeSeconds) : null,
    error_rate: errorRate(counts),
    cpu_usage_percent: round(execution.cpuPercent, 2),
    memory_usage_mb: round(execution.memoryMb, 2),
    assertions_passed: byStatus('pass'),
    assertions_failed: byStatus('fail'),
    assertions_warnings: byStatus('warn'),
    health_score: healthScore(counts, finished),
    security_score: securityScore(execution.assertions),
    recommendations: recommendationsOf(definition, execution),
    action_required: verdict.success === false,
    severity: severityOf(verdict, definition),
    test_config: testConfig,
    test_parameters: parameters
  }
}
