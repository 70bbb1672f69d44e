// Runs self-tests now: each in turn, each within its timeout, each stored as a full
// selftest_results row whatever happened to it. One test failing, hanging or throwing never
// stops the others; a result that cannot be stored is reported after the rest have run.
import { availableParallelism } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../config.js'
import type { Db } from '../../db/port.js'
import type { SelftestRow } from '../../schemas/selftests.js'
import { Assertions } from './assertions.js'
import { BUILT_IN_TESTS } from './registry.js'
import { resultRow, type Execution, type Trigger } from './result.js'
import { scheduledJobs, testSchedules } from './schedules.js'
import { storeResult } from './store.js'
import { runWithin } from './timeout.js'
import type { Inject, SelftestDefinition } from './types.js'

export interface RunnerDeps {
  db: Db
  config: Config
  inject?: Inject | undefined
  /** The registry; the built-in tests unless a caller brings its own. */
  tests?: readonly SelftestDefinition[]
  log?: FastifyBaseLogger | undefined
  /** When jobs could first have ticked here; the process start unless a caller knows better. */
  processStartedAt?: Date
}

export interface RunRequest {
  /** Names of the tests to run; all of them when absent. */
  testNames?: readonly string[] | undefined
  trigger: Trigger
}

const PROCESS_STARTED_AT = new Date(Date.now() - process.uptime() * 1000)
const MB = 1024 * 1024

/** Runs one test and measures it, without storing anything. */
export async function executeTest(deps: RunnerDeps, test: SelftestDefinition): Promise<Execution> {
  const assert = new Assertions()
  const jobs = scheduledJobs(deps.config, deps.tests ?? BUILT_IN_TESTS)
  const startedAt = new Date()
  const started = performance.now()
  const cpu = process.cpuUsage()
  const settled = await runWithin(async signal => {
    await test.run({
      db: deps.db,
      config: deps.config,
      inject: deps.inject,
      jobs,
      processStartedAt: deps.processStartedAt ?? PROCESS_STARTED_AT,
      signal,
      assert
    })
  }, test.timeoutSeconds * 1000)
  assert.seal()
  const durationMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  // Process CPU over the test's wall time, as a share of all cores: other work in the process counts too.
  const cpuPercent =
    durationMs > 0 ? Math.min(100, ((used.user + used.system) / 1000 / durationMs / availableParallelism()) * 100) : 0
  return {
    settled,
    assertions: assert.all,
    responseTimes: assert.responseTimes,
    startedAt,
    completedAt: new Date(startedAt.getTime() + durationMs),
    durationMs,
    cpuPercent,
    memoryMb: process.memoryUsage().rss / MB
  }
}

export function selectTests(
  tests: readonly SelftestDefinition[],
  names: readonly string[] | undefined
): SelftestDefinition[] {
  if (names === undefined) return [...tests]
  return tests.filter(test => names.includes(test.name))
}

export async function runSelftests(deps: RunnerDeps, request: RunRequest): Promise<SelftestRow[]> {
  const { config } = deps
  const results: SelftestRow[] = []
  const unstored: unknown[] = []
  for (const test of selectTests(deps.tests ?? BUILT_IN_TESTS, request.testNames)) {
    const execution = await executeTest(deps, test)
    const [schedule] = testSchedules(config, [test])
    const testConfig = {
      schedule: schedule?.schedule ?? null,
      schedule_source: schedule?.source ?? null,
      timeout_seconds: test.timeoutSeconds,
      baseline_runs: config.selftests.baselineRuns,
      regression_threshold_percentage: config.selftests.regressionPercent,
      regression_min_ms: config.selftests.regressionMinMs,
      regression_runs: config.selftests.regressionRuns,
      pinned_baseline_test_id: config.selftests.baselines[test.name] ?? null
    }
    const row = resultRow(
      test,
      execution,
      request.trigger,
      test.parameters?.(config) ?? {},
      config.selftests.environment,
      testConfig
    )
    try {
      const stored = await storeResult(deps.db, config, test, row)
      deps.log?.info(
        {
          test: test.name,
          result_id: stored.id,
          test_result: stored.test_result,
          regression: stored.regression_detected,
          duration_ms: stored.execution_duration_ms
        },
        'self-test done'
      )
      results.push(stored)
    } catch (error) {
      deps.log?.error(
        { err: error, test: test.name, test_result: row.test_result },
        'self-test result could not be stored'
      )
      unstored.push(error)
    }
  }
  if (unstored.length > 0)
    throw new AggregateError(unstored, `${unstored.length} self-test result(s) could not be stored`)
  return results
}
