// What the anomaly helper functions return: statistics and correlated anomalies.
import { Type, type Static } from 'typebox'
import { nullable, timestamp, uuid } from './fields.js'
import { anomalyStatus, severity } from './anomalies.js'

export const AnomalyStatistics = Type.Object(
  {
    total_count: Type.Integer(),
    active_count: Type.Integer({ description: 'open, acknowledged or investigating' }),
    open_count: Type.Integer(),
    acknowledged_count: Type.Integer(),
    investigating_count: Type.Integer(),
    resolved_count: Type.Integer(),
    false_positive_count: Type.Integer(),
    critical_count: Type.Integer(),
    high_count: Type.Integer(),
    medium_count: Type.Integer(),
    low_count: Type.Integer(),
    avg_confidence_score: nullable(Type.Number()),
    avg_resolution_duration_minutes: nullable(Type.Number()),
    false_positive_rate: nullable(Type.Number({ description: 'Percent of closed signals marked false positive' })),
    by_type: Type.Record(Type.String(), Type.Unknown(), { description: 'Counts per anomaly_type' })
  },
  { $id: 'AnomalyStatistics' }
)

export const CorrelatedAnomaly = Type.Object(
  {
    id: uuid(),
    anomaly_type: Type.String(),
    severity: severity(),
    status: anomalyStatus(),
    source_component_name: nullable(Type.String()),
    detection_timestamp: timestamp(),
    correlation_reason: Type.String(),
    time_offset_seconds: Type.Number()
  },
  { $id: 'CorrelatedAnomaly' }
)

export type AnomalyStatisticsRow = Static<typeof AnomalyStatistics>
export type CorrelatedAnomalyRow = Static<typeof CorrelatedAnomaly>
