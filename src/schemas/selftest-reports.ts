// What the self-test helper functions return: statistics, trends and baseline comparison.
import { Type, type Static } from 'typebox'
import { nullable, timestamp, uuid } from './fields.js'

const number = () => nullable(Type.Number())

export const SelftestStatistics = Type.Object(
  {
    test_name: Type.String(),
    test_category: Type.String(),
    run_count: Type.Integer(),
    passed_count: Type.Integer(),
    failed_count: Type.Integer(),
    warning_count: Type.Integer(),
    error_count: Type.Integer(),
    pass_rate: nullable(Type.Number({ description: 'Percent of runs that passed' })),
    avg_execution_duration_ms: number(),
    p95_execution_duration_ms: number(),
    avg_health_score: number(),
    regression_count: Type.Integer(),
    last_run_at: nullable(timestamp()),
    last_test_result: nullable(Type.String())
  },
  { $id: 'SelftestStatistics' }
)

export const SelftestTrend = Type.Object(
  {
    bucket_start: timestamp(),
    test_name: Type.String(),
    run_count: Type.Integer(),
    pass_rate: number(),
    avg_execution_duration_ms: number(),
    avg_response_time_ms: number(),
    avg_health_score: number(),
    avg_reliability_score: number(),
    avg_performance_score: number(),
    avg_security_score: number(),
    regression_count: Type.Integer()
  },
  { $id: 'SelftestTrend' }
)

export const BaselineComparison = Type.Object(
  {
    test_id: uuid(),
    test_name: Type.String(),
    baseline_source: nullable(
      Type.String({ description: 'pinned (baseline_test_id) or median of recent successful runs' })
    ),
    baseline_test_id: nullable(uuid()),
    baseline_run_count: Type.Integer(),
    current_success: nullable(Type.Boolean()),
    baseline_success: nullable(Type.Boolean()),
    current_execution_duration_ms: number(),
    baseline_execution_duration_ms: number(),
    baseline_deviation_percentage: number(),
    current_response_time_ms: number(),
    baseline_response_time_ms: number(),
    response_time_deviation_percentage: number(),
    current_health_score: number(),
    baseline_health_score: number(),
    regression_detected: nullable(Type.Boolean()),
    improvement_detected: nullable(Type.Boolean())
  },
  { $id: 'BaselineComparison' }
)

export const SelftestDeletion = Type.Object(
  {
    deleted: Type.Integer({ description: 'Results removed' })
  },
  { $id: 'SelftestDeletion' }
)

export type SelftestStatisticsRow = Static<typeof SelftestStatistics>
export type SelftestTrendRow = Static<typeof SelftestTrend>
export type BaselineComparisonRow = Static<typeof BaselineComparison>
