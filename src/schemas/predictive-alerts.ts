// predictive_alerts rows as the API returns them: a forecast that a component's resource runs
// out (docs/prediction.md), with the interval and trend behind it in metadata.
import { Type, type Static } from 'typebox'
import { severity } from './anomalies.js'
import { cursorPage, jsonObject, nullable, timestamp, uuid } from './fields.js'

export const ALERT_STATUSES = ['active', 'acknowledged', 'resolved', 'expired'] as const
export const FORECAST_METRIC_NAMES = [
  'memory_usage_percent',
  'disk_usage_percent',
  'db_connection_count',
  'error_rate'
] as const

export const PredictiveAlert = Type.Object(
  {
    id: uuid(),
    user_id: nullable(uuid()),
    organization_id: nullable(uuid({ description: "The component's organization; null: the platform's own" })),
    component_name: nullable(Type.String({ description: 'The component forecast (null on rows written by others)' })),
    component_type: nullable(Type.String()),
    alert_type: Type.String({ description: 'resource_exhaustion for the forecaster' }),
    metric_name: Type.String({
      description: 'memory_usage_percent, disk_usage_percent, db_connection_count, error_rate'
    }),
    predicted_value: nullable(Type.Number({ description: 'Where the trend puts the metric at the horizon' })),
    actual_value: nullable(Type.Number({ description: "The trend's level when forecast" })),
    threshold_value: nullable(Type.Number({ description: 'The limit it runs out at' })),
    forecast_target_time: nullable(timestamp({ description: 'When the trend reaches the limit' })),
    confidence_score: nullable(Type.Number({ minimum: 0, maximum: 1 })),
    severity: nullable(severity()),
    message: nullable(Type.String()),
    status: Type.Enum(ALERT_STATUSES),
    metadata: jsonObject({ description: 'The interval, slope, noise and points behind the forecast' }),
    anomaly_signal_id: nullable(uuid({ description: 'The predicted_exhaustion signal it opened, if any' })),
    closed_at: nullable(timestamp({ description: 'When it was resolved or expired' })),
    created_at: timestamp(),
    updated_at: timestamp()
  },
  {
    $id: 'PredictiveAlert',
    examples: [
      {
        id: '5b1e0c2d-7f3a-4e9b-8c6d-2a4f1e3b5c7d',
        user_id: null,
        organization_id: '00000000-0000-4000-8000-000000000314',
        component_name: 'orchestrate-flow',
        component_type: 'edge_function',
        alert_type: 'resource_exhaustion',
        metric_name: 'memory_usage_percent',
        predicted_value: 131.2,
        actual_value: 71.4,
        threshold_value: 95,
        forecast_target_time: '2026-12-06T09:40:00.000Z',
        confidence_score: 0.999,
        severity: 'medium',
        message:
          'memory_usage_percent of orchestrate-flow reaches 95 around 2026-12-06T09:40:00.000Z (between 08:55 and 10:50) at 2.49 per hour',
        status: 'active',
        metadata: {
          forecaster: 'theil-sen',
          slope_per_hour: 2.49,
          slope_interval_per_hour: [2.31, 2.66],
          earliest: '2026-12-06T08:55:00.000Z',
          latest: '2026-12-06T10:50:00.000Z',
          noise: 0.8,
          points: 120,
          window_minutes: 360
        },
        anomaly_signal_id: null,
        closed_at: null,
        created_at: '2026-12-06T00:10:00.000Z',
        updated_at: '2026-12-06T00:15:00.000Z'
      }
    ]
  }
)

export const PredictiveAlertList = cursorPage(PredictiveAlert, 'PredictiveAlertList')

export type PredictiveAlertRow = Static<typeof PredictiveAlert>
