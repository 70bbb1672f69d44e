// POST /v1/monitor/run: what a caller may ask of the health monitor (window, one component,
// manually measured metrics, threshold overrides) and what a run reports back.
import { Type, type Static, type TSchema } from 'typebox'
import { HealthEventInput } from './health-events.js'
import { count, healthStatus, name, nullable, timestamp, uuid } from './fields.js'
import { RULES, type ThresholdOverrides, type Thresholds } from './monitor-thresholds.js'

const limit = (description: string) => Type.Number({ minimum: 0, description })

function levels(optional: boolean, direction: 'high' | 'low'): TSchema {
  const word = direction === 'high' ? 'at or above' : 'at or below'
  const properties = {
    degraded: limit(`degraded ${word}`),
    unhealthy: limit(`unhealthy ${word}`),
    critical: limit(`critical ${word}`)
  }
  return optional
    ? Type.Object(Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)])), {
        additionalProperties: false
      })
    : Type.Object(properties)
}

function thresholdProperties(optional: boolean): Record<string, TSchema> {
  const maybe = (schema: TSchema): TSchema => (optional ? Type.Optional(schema) : schema)
  const baseline = {
    factor: Type.Number({ minimum: 1, description: 'p95 at or above factor x the usual p95 is degraded' }),
    max_events: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'The usual p95 is the median p95 of at most this many recent events'
    }),
    min_events: Type.Integer({ minimum: 1, maximum: 1000, description: 'Fewer recent events than this: no baseline' }),
    lookback_minutes: Type.Integer({ minimum: 1, maximum: 43_200, description: 'How far back recent events go' }),
    floor_ms: Type.Number({ minimum: 0, description: 'Below this p95 the baseline rule stays quiet' })
  }
  return {
    ...Object.fromEntries(Object.entries(RULES).map(([rule, direction]) => [rule, maybe(levels(optional, direction))])),
    baseline: maybe(
      optional
        ? Type.Object(
            Object.fromEntries(Object.entries(baseline).map(([key, schema]) => [key, Type.Optional(schema)])),
            { additionalProperties: false }
          )
        : Type.Object(baseline)
    ),
    db_cache_min_block_accesses: maybe(
      Type.Integer({
        minimum: 0,
        description: 'The cache hit rate is judged only when the window read at least this many blocks'
      })
    ),
    slow_query_ms: maybe(
      Type.Number({ minimum: 1, description: 'A query running at least this long when sampled is slow' })
    ),
    overall_worst_share: maybe(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'The worst status is overall when at least this share of components with data is at it or worse'
      })
    )
  }
}

// The properties are built from the rule list, so their static types come from thresholds.ts.
export const MonitorThresholds = Type.Unsafe<Thresholds>(
  Type.Object(thresholdProperties(false), {
    $id: 'MonitorThresholds',
    description: 'The limits a run classified with: percentages 0-100, latencies in ms, counts per window'
  })
)

export const MonitorThresholdOverrides = Type.Unsafe<ThresholdOverrides>(
  Type.Object(thresholdProperties(true), {
    $id: 'MonitorThresholdOverrides',
    additionalProperties: false,
    description: 'Overrides for this run only; anything left out keeps its default',
    examples: [{ latency_p95_ms: { degraded: 500 }, baseline: { factor: 3 } }]
  })
)

export const MonitorMetric = Type.Omit(HealthEventInput, ['status'], {
  $id: 'MonitorMetric',
  additionalProperties: false,
  description: 'A health event measured by the caller; the monitor classifies it (no status) and stores it',
  examples: [
    { component_type: 'worker', component_name: 'report-builder', cpu_usage_percent: 83, memory_usage_percent: 61 }
  ]
})

export const MonitorRunInput = Type.Object(
  {
    window_minutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 5,
      description: 'The measurement window, ending now'
    }),
    component_name: Type.Optional(
      name(200, { description: 'Measure only this function or integration (and the database if it is named)' })
    ),
    metrics: Type.Optional(
      Type.Array(Type.Unsafe<Static<typeof MonitorMetric>>({ $ref: 'MonitorMetric#' }), { maxItems: 1000 })
    ),
    thresholds: Type.Optional(
      Type.Unsafe<Static<typeof MonitorThresholdOverrides>>({ $ref: 'MonitorThresholdOverrides#' })
    )
  },
  {
    $id: 'MonitorRunInput',
    additionalProperties: false,
    examples: [{ window_minutes: 5 }, { component_name: 'orchestrate-flow', window_minutes: 15 }]
  }
)

const SOURCES = ['execution_log', 'pg_stat', 'manual'] as const

export const MonitorComponentResult = Type.Object(
  {
    component_type: Type.String(),
    component_name: Type.String(),
    status: healthStatus(),
    reasons: Type.Array(Type.String(), { description: 'Each limit breached, with the value; empty when healthy' }),
    source: Type.Enum(SOURCES, {
      description: 'execution_log (collected), pg_stat (the database), manual (submitted)'
    }),
    event_id: uuid({ description: 'The health event stored for it' }),
    calls: nullable(count({ description: 'Calls in the window (collected components)' })),
    latency_ms: nullable(Type.Number()),
    latency_p95_ms: nullable(Type.Number()),
    baseline_latency_p95_ms: nullable(
      Type.Number({ description: "The component's usual p95, when it has enough history" })
    ),
    error_rate: nullable(Type.Number()),
    availability_percentage: nullable(Type.Number()),
    throughput_per_minute: nullable(Type.Number())
  },
  { $id: 'MonitorComponentResult' }
)

const statusCounts = Type.Object({
  healthy: Type.Integer(),
  degraded: Type.Integer(),
  unhealthy: Type.Integer(),
  critical: Type.Integer(),
  unknown: Type.Integer()
})

export const MonitorRunResult = Type.Object(
  {
    run_id: uuid({ description: "Also in each event's metadata.monitor.run_id and in the decision_audit_log row" }),
    overall_status: healthStatus({
      description:
        'The worst component status, one level milder when less than overall_worst_share of the components with data are at it; unknown when none has data'
    }),
    window: Type.Object({ start: timestamp(), end: timestamp(), minutes: Type.Integer() }),
    status_counts: statusCounts,
    components: Type.Array(Type.Unsafe<Static<typeof MonitorComponentResult>>({ $ref: 'MonitorComponentResult#' })),
    unhealthy_components: Type.Array(
      Type.Unsafe<Static<typeof MonitorComponentResult>>({ $ref: 'MonitorComponentResult#' }),
      {
        description: 'The components degraded, unhealthy or critical, worst first'
      }
    ),
    events_created: Type.Integer(),
    duration_ms: Type.Number(),
    thresholds: Type.Unsafe<Static<typeof MonitorThresholds>>({ $ref: 'MonitorThresholds#' })
  },
  { $id: 'MonitorRunResult' }
)

export type MonitorMetricBody = Static<typeof MonitorMetric>
export type MonitorRunInputBody = Static<typeof MonitorRunInput>
export type MonitorComponentResultBody = Static<typeof MonitorComponentResult>
export type MonitorRunResultBody = Static<typeof MonitorRunResult>
