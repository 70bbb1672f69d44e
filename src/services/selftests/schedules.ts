// When each test runs, and as which job. A test named in SELFTEST_SCHEDULES runs on that
// schedule as its own job (`selftest:<name>`), or not at all for "off"; a test with a default
// schedule of its own likewise; every other test runs with the suite on SELFTEST_CRON as the
// `selftest` job. Own jobs keep a frequent test from dragging the whole suite along with it.
import { ConfigError, type Config, type JobName } from '../../config.js'
import type { ScheduledJob, SelftestDefinition } from './types.js'

export const SUITE_JOB = 'selftest'

export type ScheduleSource = 'SELFTEST_SCHEDULES' | 'test_default' | 'SELFTEST_CRON'

export interface TestSchedule {
  test: SelftestDefinition
  /** null: not run on a schedule, only on request. */
  schedule: string | null
  source: ScheduleSource
  /** The job that runs it, or null when it has no schedule. */
  job: string | null
}

export const ownJob = (testName: string): string => `${SUITE_JOB}:${testName}`

/** Refuses an override naming no registered test, so a typo fails at start instead of never running. */
export function checkOverrides(config: Config, tests: readonly SelftestDefinition[]): void {
  const unknown = Object.keys(config.selftests.schedules).filter(name => !tests.some(test => test.name === name))
  if (unknown.length > 0) {
    throw new ConfigError(
      'SELFTEST_SCHEDULES',
      `names no self-test: ${unknown.join(', ')} (known: ${tests.map(test => test.name).join(', ')})`
    )
  }
}

export function testSchedules(config: Config, tests: readonly SelftestDefinition[]): TestSchedule[] {
  return tests.map(test => {
    const override = config.selftests.schedules[test.name]
    if (override !== undefined)
      return {
        test,
        schedule: override,
        source: 'SELFTEST_SCHEDULES',
        job: override === null ? null : ownJob(test.name)
      }
    if (test.defaultSchedule !== null)
      return { test, schedule: test.defaultSchedule, source: 'test_default', job: ownJob(test.name) }
    const suite = config.schedules.selftest
    return { test, schedule: suite, source: 'SELFTEST_CRON', job: suite === null ? null : SUITE_JOB }
  })
}

/** Every job this configuration schedules: the service's own and the self-test jobs. */
export function scheduledJobs(config: Config, tests: readonly SelftestDefinition[]): ScheduledJob[] {
  const jobs = new Map<string, string>()
  for (const [name, schedule] of Object.entries(config.schedules) as Array<[JobName, string | null]>) {
    if (name !== SUITE_JOB && schedule !== null) jobs.set(name, schedule)
  }
  for (const { job, schedule } of testSchedules(config, tests)) {
    if (job !== null && schedule !== null) jobs.set(job, schedule)
  }
  return [...jobs].map(([name, schedule]) => ({ name, schedule }))
}
