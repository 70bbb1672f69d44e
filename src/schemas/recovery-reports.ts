// What the recovery helper functions return: statistics per action type.
import { Type, type Static } from 'typebox'
import { nullable } from './fields.js'

export const RecoveryStatistics = Type.Object(
  {
    action_type: Type.String(),
    total_count: Type.Integer(),
    succeeded_count: Type.Integer(),
    failed_count: Type.Integer(),
    unfinished_count: Type.Integer(),
    cancelled_count: Type.Integer(),
    rejected_count: Type.Integer(),
    dry_run_count: Type.Integer(),
    rolled_back_count: Type.Integer(),
    success_rate: nullable(Type.Number({ description: 'Percent of finished runs that succeeded' })),
    avg_execution_duration_ms: nullable(Type.Number()),
    median_time_to_recover_seconds: nullable(Type.Number()),
    avg_attempts: nullable(Type.Number()),
    avg_recovery_effectiveness_score: nullable(Type.Number())
  },
  { $id: 'RecoveryStatistics' }
)

export type RecoveryStatisticsRow = Static<typeof RecoveryStatistics>
