// Self-test results (seed 1.4): what a runner stores and what the API returns.
import { Type, type Static } from 'typebox'
import {
  count,
  cursorPage,
  jsonObject,
  label,
  name,
  nonNegative,
  nullable,
  optionalAll,
  percent,
  text,
  timestamp,
  uuid
} from './fields.js'
import { severity } from './anomalies.js'

export const SELFTEST_EXECUTION_STATUSES = [
  'pending',
  'running',
  'completed',
  'timeout',
  'error',
  'skipped',
  'cancelled'
] as const
export const SELFTEST_RESULTS = ['passed', 'failed', 'warning', 'skipped', 'error'] as const

const score = () => Type.Number({ minimum: 0, maximum: 100, description: '0-100' })
const assertions = () => Type.Array(Type.Unknown(), { maxItems: 1000 })

const details = {
  user_id: nullable(uuid()),
  organization_id: nullable(uuid()),
  test_type: nullable(label(100)),
  test_description: nullable(text(4000)),
  test_version: nullable(label(50)),
  scheduled_by: nullable(label(200)),
  triggered_by_user_id: nullable(uuid()),
  trigger_reason: nullable(text(4000)),
  target_component_type: nullable(label(100)),
  target_component_name: nullable(label(200)),
  target_environment: nullable(label(50)),
  started_at: nullable(timestamp()),
  completed_at: nullable(timestamp()),
  execution_duration_ms: nullable(nonNegative()),
  timeout_seconds: nullable(Type.Integer({ minimum: 1 })),
  test_result: nullable(Type.Enum(SELFTEST_RESULTS)),
  success: nullable(Type.Boolean()),
  test_output: nullable(text(100_000)),
  test_summary: nullable(text(8000)),
  failure_reason: nullable(text(8000)),
  error_message: nullable(text(8000)),
  error_stack_trace: nullable(text(100_000)),
  response_time_ms: nullable(nonNegative()),
  throughput_per_second: nullable(nonNegative()),
  error_rate: nullable(percent()),
  cpu_usage_percent: nullable(percent()),
  memory_usage_mb: nullable(nonNegative()),
  baseline_test_id: nullable(uuid()),
  baseline_deviation_percentage: nullable(Type.Number()),
  health_score: nullable(score()),
  reliability_score: nullable(score()),
  performance_score: nullable(score()),
  security_score: nullable(score()),
  severity: nullable(severity())
}

const counts = {
  pass_count: count(),
  fail_count: count(),
  warning_count: count(),
  skip_count: count(),
  total_assertions: count()
}

const collections = {
  assertions_passed: assertions(),
  assertions_failed: assertions(),
  assertions_warnings: assertions(),
  recommendations: Type.Array(Type.Unknown(), { maxItems: 100 }),
  notifications_sent: Type.Array(Type.Unknown(), { maxItems: 100 }),
  notification_channels: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 }),
  alerted_users: Type.Array(uuid(), { maxItems: 100 }),
  test_config: jsonObject(),
  test_parameters: jsonObject()
}

const flags = {
  regression_detected: Type.Boolean(),
  improvement_detected: Type.Boolean(),
  action_required: Type.Boolean()
}

export const SelftestInput = Type.Object(
  {
    test_name: name(200, { examples: ['database_connectivity'] }),
    test_category: name(100, { examples: ['database'] }),
    execution_mode: Type.Optional(Type.Enum(['scheduled', 'manual'], { default: 'manual' })),
    execution_status: Type.Optional(Type.Enum(SELFTEST_EXECUTION_STATUSES, { default: 'completed' })),
    ...optionalAll(details),
    ...optionalAll(counts),
    ...optionalAll(collections),
    ...optionalAll(flags)
  },
  {
    $id: 'SelftestInput',
    additionalProperties: false,
    examples: [
      {
        test_name: 'database_connectivity',
        test_category: 'database',
        test_result: 'passed',
        success: true,
        response_time_ms: 3.2,
        pass_count: 2,
        total_assertions: 2
      }
    ]
  }
)

export const Selftest = Type.Object(
  {
    id: uuid(),
    test_name: Type.String(),
    test_category: Type.String(),
    execution_mode: Type.Enum(['scheduled', 'manual']),
    execution_status: Type.Enum(SELFTEST_EXECUTION_STATUSES),
    ...details,
    ...counts,
    ...collections,
    ...flags,
    created_at: timestamp(),
    updated_at: timestamp()
  },
  {
    $id: 'Selftest',
    examples: [
      {
        id: '4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d',
        test_name: 'database_connectivity',
        test_category: 'database',
        execution_mode: 'scheduled',
        execution_status: 'completed',
        test_result: 'passed',
        success: true,
        pass_count: 3,
        fail_count: 0,
        warning_count: 0,
        skip_count: 0,
        total_assertions: 3,
        execution_duration_ms: 14.2,
        response_time_ms: 1.1,
        health_score: 100,
        regression_detected: false,
        improvement_detected: false,
        user_id: null,
        organization_id: null,
        test_type: 'connectivity',
        test_description: 'The service reaches PostgreSQL and runs a query',
        test_version: '1',
        scheduled_by: 'selftest-scheduler',
        triggered_by_user_id: null,
        trigger_reason: null,
        target_component_type: 'database',
        target_component_name: 'postgres',
        target_environment: 'production',
        started_at: '2026-11-28T06:00:00.000Z',
        completed_at: '2026-11-28T06:00:00.014Z',
        timeout_seconds: 30,
        test_output: null,
        test_summary: '3 of 3 assertions passed',
        failure_reason: null,
        error_message: null,
        error_stack_trace: null,
        throughput_per_second: null,
        error_rate: 0,
        cpu_usage_percent: null,
        memory_usage_mb: null,
        baseline_test_id: null,
        baseline_deviation_percentage: 2.1,
        reliability_score: 100,
        performance_score: 98,
        security_score: null,
        severity: null,
        assertions_passed: ['connects', 'select 1', 'migrations current'],
        assertions_failed: [],
        assertions_warnings: [],
        recommendations: [],
        notifications_sent: [],
        notification_channels: [],
        alerted_users: [],
        test_config: {},
        test_parameters: {},
        action_required: false,
        created_at: '2026-11-28T06:00:00.014Z',
        updated_at: '2026-11-28T06:00:00.014Z'
      }
    ]
  }
)

export const SelftestList = cursorPage(Selftest, 'SelftestList')

export type SelftestInputBody = Static<typeof SelftestInput>
export type SelftestRow = Static<typeof Selftest>
export const SELFTEST_COLUMNS = Object.keys(SelftestInput.properties) as Array<keyof SelftestInputBody>
