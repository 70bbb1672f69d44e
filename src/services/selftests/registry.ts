// The built-in self-tests, one module each under tests/. A new test is one file, one line here
// and its name in the contract's BUILT_IN_TEST_NAMES (src/schemas/selftest-runs.ts).
import { apiAvailability } from './tests/api-availability.js'
import { controlTargets } from './tests/control-targets.js'
import { databaseConnectivity } from './tests/database-connectivity.js'
import { createDetectionCanary } from './tests/detection-canary.js'
import { healingDryRun } from './tests/healing-dry-run.js'
import { jobFreshness } from './tests/job-freshness.js'
import { llmReachability } from './tests/llm-reachability.js'
import { migrationsCurrent } from './tests/migrations-current.js'
import { rlsIsolation } from './tests/rls-isolation.js'
import type { SelftestDefinition } from './types.js'

export const BUILT_IN_TESTS: readonly SelftestDefinition[] = [
  databaseConnectivity,
  migrationsCurrent,
  rlsIsolation,
  createDetectionCanary(),
  healingDryRun,
  llmReachability,
  controlTargets,
  apiAvailability,
  jobFreshness
]
