// The self-test jobs: `selftest` runs every test on SELFTEST_CRON together, and each test with
// a schedule of its own (SELFTEST_SCHEDULES, or its default) runs as `selftest:<name>`. Each
// tick calls the runner POST /v1/selftests/run calls, recorded as a scheduled run.
import type { JobDefinition } from './scheduler.js'
import type { JobDeps } from './deps.js'
import { runSelftests } from '../services/selftests/runner.js'
import { BUILT_IN_TESTS } from '../services/selftests/registry.js'
import { checkOverrides, testSchedules } from '../services/selftests/schedules.js'
import { jobTrigger } from '../services/selftests/trigger.js'
import type { SelftestDefinition } from '../services/selftests/types.js'

export function selftestJobs(
  { config, db, inject }: Pick<JobDeps, 'config' | 'db' | 'inject'>,
  tests: readonly SelftestDefinition[] = BUILT_IN_TESTS
): JobDefinition[] {
  checkOverrides(config, tests)
  const jobs = new Map<string, { schedule: string; names: string[] }>()
  for (const { test, schedule, job } of testSchedules(config, tests)) {
    if (job === null || schedule === null) continue
    const entry = jobs.get(job) ?? { schedule, names: [] }
    entry.names.push(test.name)
    jobs.set(job, entry)
  }
  return [...jobs].map(([name, { schedule, names }]) => ({
    name,
    schedule,
    run: async ({ tick, log }) => {
      const results = await runSelftests(
        { db, config, inject, tests, log },
        { testNames: names, trigger: jobTrigger(name, tick) }
      )
      const failed = results.filter(result => result.success === false).map(result => result.test_name)
      const regressions = results.filter(result => result.regression_detected).map(result => result.test_name)
      const summary = { tests: results.length, failed, regressions }
      // A failing self-test is the service telling operators something is broken: not info.
      if (failed.length > 0) log.error(summary, 'self-tests failed')
      else if (regressions.length > 0) log.warn(summary, 'self-tests regressed')
      else log.info(summary, 'self-tests done')
    }
  }))
}
