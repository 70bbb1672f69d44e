// System health events (seed 1.1): what a service pushes and what the API returns.
import { Type, type Static } from 'typebox'
import {
  count,
  cursorPage,
  healthStatus,
  jsonObject,
  label,
  name,
  nonNegative,
  nullable,
  optional,
  optionalAll,
  percent,
  tags,
  text,
  timestamp,
  uuid
} from './fields.js'

export const ENVIRONMENT_MAX_LENGTH = 50
export const VERSION_MAX_LENGTH = 100

const measurements = {
  component_version: nullable(label(VERSION_MAX_LENGTH)),
  uptime_percentage: nullable(percent()),
  availability_percentage: nullable(percent()),
  latency_ms: nullable(
    nonNegative({
      description:
        'Mean latency in the window, ms; the detector watches it for a rise (latency_spike) and, by its adaptive score alone, a collapse (latency_drop)'
    })
  ),
  latency_p50_ms: nullable(nonNegative()),
  latency_p95_ms: nullable(nonNegative()),
  latency_p99_ms: nullable(nonNegative()),
  throughput_per_minute: nullable(
    nonNegative({
      description:
        'Requests (or other units of work) per minute in the window; the detector watches it both ways (traffic_drop, traffic_surge)'
    })
  ),
  error_count: nullable(count()),
  error_rate: nullable(
    percent({
      description: 'Errors as a percentage of calls, 0-100; the detector watches it for a rise (error_rate_increase)'
    })
  ),
  last_error_message: nullable(text(4000)),
  last_error_timestamp: nullable(timestamp()),
  cpu_usage_percent: nullable(
    percent({
      description:
        'The detector watches it for a rise (resource_exhaustion) and, by its adaptive score alone, a collapse (cpu_drop)'
    })
  ),
  memory_usage_mb: nullable(nonNegative()),
  memory_usage_percent: nullable(percent({ description: 'The detector watches it for a rise (resource_exhaustion)' })),
  disk_usage_mb: nullable(nonNegative()),
  disk_usage_percent: nullable(percent({ description: 'The detector watches it for a rise (resource_exhaustion)' })),
  network_in_mbps: nullable(nonNegative()),
  network_out_mbps: nullable(nonNegative()),
  db_connection_count: nullable(count()),
  db_query_count: nullable(Type.Integer({ minimum: 0 })),
  db_slow_query_count: nullable(count()),
  db_deadlock_count: nullable(count()),
  db_cache_hit_rate: nullable(percent()),
  integration_name: nullable(label(200)),
  integration_success_rate: nullable(percent()),
  integration_retry_count: nullable(count()),
  integration_timeout_count: nullable(count()),
  measurement_window_start: nullable(timestamp()),
  measurement_window_end: nullable(
    timestamp({
      description:
        "When the measurement ended: the event's event time, the time detection, rollups, trends and lists judge it at. Omitted: the time it arrives. Accepted up to EVENT_MAX_LATENESS_MINUTES in the past (7 days by default) and EVENT_MAX_FUTURE_SKEW_SECONDS ahead (300 by default); outside them, 400 naming this field"
    })
  ),
  measurement_window_seconds: nullable(count())
}

export const HealthEventInput = Type.Object(
  {
    user_id: optional(
      uuid({ description: 'The user the event belongs to; null: visible to admins and services only' })
    ),
    organization_id: optional(
      uuid({
        description:
          "The organization whose component the event is about; null: the platform's own. Omitted: the token's organization (a service token without one: the platform's)"
      })
    ),
    component_type: name(100, { examples: ['edge_function'] }),
    component_name: name(200, { examples: ['orchestrate-flow'] }),
    environment: Type.Optional(name(ENVIRONMENT_MAX_LENGTH, { default: 'production' })),
    status: healthStatus(),
    ...optionalAll(measurements),
    error_types: Type.Optional(
      jsonObject({ default: {}, description: 'Error counts by type', examples: [{ timeout: 3 }] })
    ),
    metadata: Type.Optional(jsonObject({ default: {} })),
    tags: Type.Optional(tags({ default: [] }))
  },
  {
    $id: 'HealthEventInput',
    additionalProperties: false,
    examples: [
      {
        component_type: 'edge_function',
        component_name: 'orchestrate-flow',
        status: 'degraded',
        latency_ms: 840,
        latency_p95_ms: 2300,
        error_rate: 1.5,
        tags: ['phase6']
      }
    ]
  }
)

export const HealthEvent = Type.Object(
  {
    id: uuid(),
    user_id: nullable(uuid()),
    organization_id: nullable(uuid()),
    component_type: Type.String(),
    component_name: Type.String(),
    environment: Type.String(),
    status: healthStatus(),
    ...measurements,
    error_types: jsonObject(),
    metadata: jsonObject(),
    tags: Type.Array(Type.String()),
    event_time: timestamp({
      description: 'When it was measured: measurement_window_end, or created_at when the event has none'
    }),
    created_at: timestamp({ description: 'When it arrived' }),
    updated_at: timestamp()
  },
  {
    $id: 'HealthEvent',
    examples: [
      {
        id: '6f1c2b9e-4d7a-4a51-9c1e-2f8b0d3a7e10',
        user_id: null,
        organization_id: '00000000-0000-4000-8000-000000000314',
        component_type: 'edge_function',
        component_name: 'orchestrate-flow',
        environment: 'production',
        status: 'degraded',
        latency_ms: 840,
        latency_p50_ms: 610,
        latency_p95_ms: 2300,
        latency_p99_ms: 3100,
        throughput_per_minute: 118,
        error_count: 3,
        error_rate: 1.5,
        error_types: { timeout: 3 },
        tags: ['phase6'],
        metadata: {},
        component_version: '2026.11.3',
        uptime_percentage: 99.2,
        availability_percentage: 98.5,
        last_error_message: 'upstream timed out after 2000 ms',
        last_error_timestamp: '2026-11-28T05:59:41.000Z',
        cpu_usage_percent: 71,
        memory_usage_mb: 412,
        memory_usage_percent: 64,
        disk_usage_mb: null,
        disk_usage_percent: null,
        network_in_mbps: 3.2,
        network_out_mbps: 1.4,
        db_connection_count: 18,
        db_query_count: 5210,
        db_slow_query_count: 4,
        db_deadlock_count: 0,
        db_cache_hit_rate: 99.1,
        integration_name: null,
        integration_success_rate: null,
        integration_retry_count: null,
        integration_timeout_count: null,
        measurement_window_start: '2026-11-28T05:55:00.000Z',
        measurement_window_end: '2026-11-28T06:00:00.000Z',
        measurement_window_seconds: 300,
        event_time: '2026-11-28T06:00:00.000Z',
        created_at: '2026-11-28T06:00:02.000Z',
        updated_at: '2026-11-28T06:00:02.000Z'
      }
    ]
  }
)

export const HealthEventBatch = Type.Object(
  {
    events: Type.Array(Type.Unsafe<Static<typeof HealthEventInput>>({ $ref: 'HealthEventInput#' }), {
      minItems: 1,
      maxItems: 1000
    })
  },
  { $id: 'HealthEventBatch', additionalProperties: false, description: 'Up to 1000 events, stored all or none' }
)

export const HealthEventBatchResult = Type.Object(
  {
    inserted: Type.Integer(),
    ids: Type.Array(uuid())
  },
  { $id: 'HealthEventBatchResult' }
)

export const HealthEventList = cursorPage(
  HealthEvent,
  'HealthEventList',
  Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })
)

export type HealthEventInputBody = Static<typeof HealthEventInput>
export type HealthEventRow = Static<typeof HealthEvent>

/** The columns a caller may write, in a fixed order: the body's keys never choose columns. */
export const HEALTH_EVENT_COLUMNS = Object.keys(HealthEventInput.properties) as Array<keyof HealthEventInputBody>
