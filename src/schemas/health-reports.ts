// What the health helper functions return: per-component summary, unhealthy components,
// performance trends and system availability.
import { Type, type Static } from 'typebox'
import { healthStatus, nullable, timestamp } from './fields.js'

const average = (description?: string) => nullable(Type.Number(description === undefined ? {} : { description }))

export const ComponentHealth = Type.Object(
  {
    component_type: Type.String(),
    component_name: Type.String(),
    status: healthStatus({ description: 'The latest status in the period' }),
    last_event_at: timestamp(),
    event_count: Type.Integer(),
    unhealthy_event_count: Type.Integer(),
    avg_latency_ms: average(),
    max_latency_p95_ms: average(),
    avg_error_rate: average('Percent'),
    total_error_count: Type.Integer(),
    avg_availability_percentage: average(),
    avg_throughput_per_minute: average(),
    avg_cpu_usage_percent: average(),
    avg_memory_usage_percent: average()
  },
  { $id: 'ComponentHealth' }
)

export const UnhealthyComponent = Type.Object(
  {
    component_type: Type.String(),
    component_name: Type.String(),
    environment: Type.String(),
    status: healthStatus(),
    last_event_at: timestamp(),
    unhealthy_event_count: Type.Integer(),
    latency_ms: average(),
    latency_p95_ms: average(),
    error_rate: average('Percent'),
    availability_percentage: average(),
    last_error_message: nullable(Type.String())
  },
  { $id: 'UnhealthyComponent' }
)

export const PerformanceTrend = Type.Object(
  {
    bucket_start: timestamp(),
    component_name: Type.String(),
    event_count: Type.Integer(),
    avg_latency_ms: average(),
    avg_latency_p95_ms: average(),
    max_latency_p99_ms: average(),
    avg_error_rate: average('Percent'),
    total_error_count: Type.Integer(),
    avg_availability_percentage: average(),
    avg_throughput_per_minute: average(),
    avg_cpu_usage_percent: average(),
    avg_memory_usage_percent: average()
  },
  { $id: 'PerformanceTrend' }
)

export const SystemAvailability = Type.Object(
  {
    availability_percentage: average(
      'Mean over components of their availability: the reported availability_percentage, else 100 for healthy or degraded events and 0 for unhealthy or critical ones'
    ),
    target_percentage: Type.Number(),
    meets_target: nullable(Type.Boolean()),
    component_count: Type.Integer(),
    event_count: Type.Integer(),
    healthy_count: Type.Integer(),
    degraded_count: Type.Integer(),
    unhealthy_count: Type.Integer(),
    critical_count: Type.Integer(),
    unknown_count: Type.Integer(),
    period_start: timestamp(),
    period_end: timestamp()
  },
  { $id: 'SystemAvailability' }
)

export const ComponentHealthPage = Type.Object(
  {
    items: Type.Array(Type.Unsafe<Static<typeof ComponentHealth>>({ $ref: 'ComponentHealth#' })),
    total: Type.Integer({ minimum: 0, description: 'Components matching the filters, over all pages' })
  },
  { $id: 'ComponentHealthPage' }
)

export type ComponentHealthPageBody = Static<typeof ComponentHealthPage>
export type ComponentHealthRow = Static<typeof ComponentHealth>
export type UnhealthyComponentRow = Static<typeof UnhealthyComponent>
export type PerformanceTrendRow = Static<typeof PerformanceTrend>
export type SystemAvailabilityRow = Static<typeof SystemAvailability>
