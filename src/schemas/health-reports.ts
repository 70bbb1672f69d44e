// What the health helper functions return: per-component summary, unhealthy components,
// performance trends and system availability.
import { Type, type Static } from 'typebox'
import { healthStatus, nullable, timestamp, uuid } from './fields.js'

const average = (description?: string) => nullable(Type.Number(description === undefined ? {} : { description }))

// A component is (organization, name): a caller who sees several organizations gets each one's
// component of a name as a row of its own.
const organization = () => nullable(uuid({ description: "The component's organization; null: the platform's own" }))

export const ComponentHealth = Type.Object(
  {
    organization_id: organization(),
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
    organization_id: organization(),
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
    organization_id: organization(),
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

const slots = (description: string) => Type.Array(nullable(Type.Number()), { description })

export const ComponentTrend = Type.Object(
  {
    bucket: Type.String({ description: 'Width of each slot, as trend_bucket gave it' }),
    bucket_start: timestamp({
      description: "Start of the first slot: the slot holding the period's start, aligned to UTC midnight"
    }),
    latency_p95_ms: slots('Mean latency_p95_ms per slot, oldest first; null where no event reported it'),
    error_rate: slots('Mean error_rate (percent) per slot'),
    cpu_usage_percent: slots('Mean cpu_usage_percent per slot'),
    memory_usage_percent: slots('Mean memory_usage_percent per slot')
  },
  {
    $id: 'ComponentTrend',
    description: "A component's period in equal slots, one array per metric with one entry per slot, for a small chart"
  }
)

export const ComponentHealthWithTrend = Type.Object(
  {
    ...ComponentHealth.properties,
    trend: Type.Optional(Type.Unsafe<Static<typeof ComponentTrend>>({ $ref: 'ComponentTrend#' }))
  },
  {
    $id: 'ComponentHealthWithTrend',
    description: "A component's health over the period; with its trend when the request named trend_bucket"
  }
)

export const ComponentHealthPage = Type.Object(
  {
    items: Type.Array(Type.Unsafe<Static<typeof ComponentHealthWithTrend>>({ $ref: 'ComponentHealthWithTrend#' })),
    total: Type.Integer({ minimum: 0, description: 'Components matching the filters, over all pages' })
  },
  { $id: 'ComponentHealthPage' }
)

export type ComponentHealthPageBody = Static<typeof ComponentHealthPage>
export type ComponentHealthRow = Static<typeof ComponentHealth>
export type ComponentTrendBody = Static<typeof ComponentTrend>
export type UnhealthyComponentRow = Static<typeof UnhealthyComponent>
export type PerformanceTrendRow = Static<typeof PerformanceTrend>
export type SystemAvailabilityRow = Static<typeof SystemAvailability>
