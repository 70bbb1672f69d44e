// The catalogue of registered self-tests as callers see it: what each checks, when it runs
// and as which job, and its latest result the caller may see (RLS decides which).
import type { Caller } from '../../db/caller.js'
import type { Severity } from '../analysis/index.js'
import { latestResults } from '../../db/selftest-results.js'
import type { Config } from '../../config.js'
import type { Db } from '../../db/port.js'
import type { SelftestRow } from '../../schemas/selftests.js'
import { BUILT_IN_TESTS } from './registry.js'
import { testSchedules, type ScheduleSource } from './schedules.js'
import type { SelftestDefinition } from './types.js'

export interface CatalogEntry {
  test_name: string
  test_category: string
  test_type: string
  test_description: string
  test_version: string
  target_component_type: string
  target_component_name: string
  schedule: string | null
  schedule_source: ScheduleSource
  job_name: string | null
  timeout_seconds: number
  failure_severity: Severity
  last_result: SelftestRow | null
}

export async function selftestCatalog(
  db: Db,
  caller: Caller,
  config: Config,
  tests: readonly SelftestDefinition[] = BUILT_IN_TESTS
): Promise<CatalogEntry[]> {
  const latest = await db.asCaller(caller, async tx => await latestResults(tx, null, null, null))
  const byName = new Map(latest.map(row => [row.test_name, row]))
  return testSchedules(config, tests).map(({ test, schedule, source, job }) => ({
    test_name: test.name,
    test_category: test.category,
    test_type: test.type,
    test_description: test.description,
    test_version: test.version,
    target_component_type: test.target.componentType,
    target_component_name: test.target.componentName,
    schedule,
    schedule_source: source,
    job_name: job,
    timeout_seconds: test.timeoutSeconds,
    failure_severity: test.failureSeverity,
    last_result: byName.get(test.name) ?? null
  }))
}
