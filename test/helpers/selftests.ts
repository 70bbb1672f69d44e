// Runs self-tests the way the runner does for a test app, with a manual trigger and, unless a
// test says otherwise, a process that has been up long enough to owe every job its ticks.
import type { Config } from '../../src/config.js'
import { runSelftests, type RunnerDeps } from '../../src/services/selftests/runner.js'
import type { SelftestDefinition } from '../../src/services/selftests/types.js'
import type { SelftestRow } from '../../src/schemas/selftests.js'
import type { TestApp } from './app.js'

export const LONG_AGO = new Date('2020-01-01T00:00:00Z')

export function runnerDeps(ctx: Pick<TestApp, 'app' | 'config'>, overrides: Partial<RunnerDeps> = {}): RunnerDeps {
  return {
    db: ctx.app.db,
    config: ctx.config,
    inject: async request => await ctx.app.inject(request),
    processStartedAt: LONG_AGO,
    ...overrides
  }
}

export async function runTests(
  ctx: Pick<TestApp, 'app' | 'config'>,
  names?: string[],
  overrides: Partial<RunnerDeps> = {}
): Promise<SelftestRow[]> {
  return await runSelftests(runnerDeps(ctx, overrides), {
    testNames: names,
    trigger: { mode: 'manual', scheduledBy: 'test', triggeredByUserId: null, reason: 'tap' }
  })
}

export async function runTest(
  ctx: Pick<TestApp, 'app' | 'config'>,
  name: string,
  overrides: Partial<RunnerDeps> = {}
): Promise<SelftestRow> {
  const [row] = await runTests(ctx, [name], overrides)
  if (row === undefined) throw new Error(`no result for ${name}`)
  return row
}

/** The names of a result's assertions with a status. */
export function named(
  row: SelftestRow,
  column: 'assertions_passed' | 'assertions_failed' | 'assertions_warnings'
): string[] {
  return (row[column] as Array<{ name: string }>).map(assertion => assertion.name)
}

/** A test definition for runner tests, running `run`. */
export function probeTest(
  name: string,
  run: SelftestDefinition['run'],
  overrides: Partial<SelftestDefinition> = {}
): SelftestDefinition {
  return {
    name,
    category: 'database',
    type: 'probe',
    description: `test double ${name}`,
    version: '0.0.1',
    defaultSchedule: null,
    timeoutSeconds: 5,
    failureSeverity: 'high',
    target: { componentType: 'test', componentName: name },
    run,
    ...overrides
  }
}

export type { Config }
