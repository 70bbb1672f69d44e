// What a self-test is and what it is given. A test is a plain module: who it is (name,
// category, type, version, description), when it runs (default schedule, timeout), what it
// looks at (target) and a run function that records named assertions. The runner turns those
// assertions into a selftest_results row, so a test never writes rows itself.
import type { Config } from '../../config.js'
import type { Db } from '../../db/port.js'
import type { Severity } from '../analysis/index.js'
import type { Assertions } from './assertions.js'

/** A job that runs self-tests, and its cron expression (src/services/selftests/schedules.ts). */
export interface ScheduledJob {
  name: string
  schedule: string
}

export type SelftestCategory = 'database' | 'security' | 'detection' | 'healing' | 'analysis' | 'api' | 'jobs'

/** A request through the app without a socket: the app's `inject`, narrowed to what tests use. */
export type Inject = (request: {
  method: 'GET' | 'HEAD'
  url: string
  headers?: Record<string, string>
}) => Promise<{ statusCode: number; body: string }>

export interface SelftestContext {
  db: Db
  config: Config
  /** The app itself, for tests that go through its routes; absent outside an app. */
  inject: Inject | undefined
  /** Every job the configuration schedules, for the test that checks they tick. */
  jobs: readonly ScheduledJob[]
  /** When this process started: a job is not owed a tick from before then. */
  processStartedAt: Date
  /** Fires when the test's time is up: stop, and release what you hold. */
  signal: AbortSignal
  assert: Assertions
}

export interface SelftestDefinition {
  name: string
  category: SelftestCategory
  /** What kind of check: connectivity, canary, dry_run, reachability, freshness... */
  type: string
  description: string
  version: string
  /**
   * null: runs with the suite on SELFTEST_CRON; a cron expression: on its own schedule (its own
   * job) unless SELFTEST_SCHEDULES names it.
   */
  defaultSchedule: string | null
  timeoutSeconds: number
  /** The severity of this test failing: how bad it is for the service when it does. */
  failureSeverity: Severity
  target: { componentType: string; componentName: string }
  /** The settings this run used, stored as test_parameters. */
  parameters?: (config: Config) => Record<string, unknown>
  run: (context: SelftestContext) => Promise<void>
}
