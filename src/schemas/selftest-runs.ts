// Running self-tests on request and the catalogue of registered tests.
import { Type, type Static } from 'typebox'
import { nullable } from './fields.js'
import { Selftest } from './selftests.js'

/**
 * The built-in tests a caller may name: part of the contract, so declared here; the registry
 * (src/services/selftests/registry.ts) holds one test of each name, in this order
 * (test/services/selftests/registry.test.ts).
 */
export const BUILT_IN_TEST_NAMES = [
  'database_connectivity',
  'migrations_current',
  'rls_isolation',
  'detection_canary',
  'healing_dry_run',
  'llm_reachability',
  'control_targets',
  'api_availability',
  'job_freshness'
]

const resultRef = () => Type.Unsafe<Static<typeof Selftest>>({ $ref: 'Selftest#' })

export const SelftestRunInput = Type.Object(
  {
    test_names: Type.Optional(
      Type.Array(Type.Enum(BUILT_IN_TEST_NAMES), {
        minItems: 1,
        maxItems: BUILT_IN_TEST_NAMES.length,
        uniqueItems: true,
        description: 'The tests to run; all of them when left out'
      })
    )
  },
  {
    $id: 'SelftestRunInput',
    additionalProperties: false,
    examples: [{ test_names: ['database_connectivity', 'rls_isolation'] }]
  }
)

export const SelftestRunResult = Type.Object(
  {
    results: Type.Array(resultRef(), { description: 'One stored result per test run, in the order they ran' })
  },
  { $id: 'SelftestRunResult' }
)

export const SelftestCatalogEntry = Type.Object(
  {
    test_name: Type.String(),
    test_category: Type.String(),
    test_type: Type.String(),
    test_description: Type.String(),
    test_version: Type.String(),
    target_component_type: Type.String(),
    target_component_name: Type.String(),
    schedule: nullable(Type.String({ description: 'Cron expression; null: runs on request only' })),
    schedule_source: Type.Enum(['SELFTEST_SCHEDULES', 'test_default', 'SELFTEST_CRON'], {
      description: 'Where the schedule comes from'
    }),
    job_name: nullable(Type.String({ description: 'The job that runs it: selftest (the suite) or selftest:<name>' })),
    timeout_seconds: Type.Integer(),
    failure_severity: Type.Enum(['low', 'medium', 'high', 'critical']),
    last_result: Type.Union([resultRef(), Type.Null()], { description: 'The latest result visible to the caller' })
  },
  { $id: 'SelftestCatalogEntry' }
)

export type SelftestRunInputBody = Static<typeof SelftestRunInput>
