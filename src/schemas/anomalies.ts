// Anomaly signals (seed 1.2): what a service stores, what the API returns, and the
// lifecycle update callers make.
import { Type, type Static } from 'typebox'
import {
  count,
  cursorPage,
  jsonObject,
  label,
  name,
  nonNegative,
  nullable,
  optional,
  optionalAll,
  tags,
  text,
  timestamp,
  uuid
} from './fields.js'

export const ANOMALY_STATUSES = ['open', 'acknowledged', 'investigating', 'resolved', 'false_positive'] as const
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const

export const severity = (options: Record<string, unknown> = {}) => Type.Enum(SEVERITIES, options)
export const anomalyStatus = (options: Record<string, unknown> = {}) => Type.Enum(ANOMALY_STATUSES, options)
export const snakeName = (options: Record<string, unknown> = {}) =>
  Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', ...options })

const facts = {
  anomaly_category: nullable(label(100)),
  confidence_score: nullable(Type.Number({ minimum: 0, maximum: 1, description: 'Statistical strength, 0-1' })),
  source_id: nullable(uuid()),
  source_component_type: nullable(name(100)),
  // The target of the action the healing engine plans for it, so named as every component is
  // (1-200 characters, like recovery_actions.target_component_name); null when there is none.
  source_component_name: nullable(name(200)),
  anomaly_description: nullable(text(8000)),
  anomaly_summary: nullable(text(2000)),
  root_cause_analysis: nullable(text(8000)),
  baseline_value: nullable(Type.Number()),
  observed_value: nullable(Type.Number()),
  deviation_percentage: nullable(Type.Number()),
  threshold_exceeded: nullable(Type.Number()),
  pattern_type: nullable(
    snakeName({
      description:
        "The detector's are sudden_spike, gradual_increase and sustained_high, and for a drop (traffic) sudden_drop, gradual_decrease and sustained_low",
      examples: ['sudden_spike', 'gradual_increase', 'sustained_high', 'sudden_drop']
    })
  ),
  pattern_duration_seconds: nullable(nonNegative()),
  pattern_frequency: nullable(nonNegative()),
  affected_users_count: nullable(count()),
  business_impact: nullable(text(4000)),
  estimated_cost_impact: nullable(nonNegative()),
  detection_method: nullable(label(100)),
  detection_algorithm: nullable(label(200))
}

export const AnomalyInput = Type.Object(
  {
    user_id: optional(uuid()),
    organization_id: optional(
      uuid({
        description:
          "The organization whose component the signal is about; null: the platform's own. Omitted: the token's organization (a service token without one: the platform's)"
      })
    ),
    anomaly_type: snakeName({
      description:
        "The detector's are latency_spike, latency_drop, error_rate_increase, resource_exhaustion, cpu_drop, traffic_drop and traffic_surge; any other snake_case name is the caller's own",
      examples: ['latency_spike', 'error_rate_increase', 'resource_exhaustion', 'traffic_drop', 'traffic_surge']
    }),
    severity: severity(),
    source_type: name(100, { examples: ['system_health_events'] }),
    ...optionalAll(facts),
    recommended_actions: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 50, default: [] })),
    historical_occurrences: Type.Optional(count({ default: 1 })),
    affected_components: Type.Optional(tags({ default: [] })),
    related_anomaly_ids: Type.Optional(Type.Array(uuid(), { maxItems: 100, default: [] })),
    detection_timestamp: Type.Optional(timestamp()),
    metadata: Type.Optional(jsonObject({ default: {} }))
  },
  {
    $id: 'AnomalyInput',
    additionalProperties: false,
    examples: [
      {
        anomaly_type: 'latency_spike',
        severity: 'high',
        source_type: 'system_health_events',
        source_component_name: 'orchestrate-flow',
        baseline_value: 180,
        observed_value: 2400,
        deviation_percentage: 1233.3
      }
    ]
  }
)

export const Anomaly = Type.Object(
  {
    id: uuid(),
    user_id: nullable(uuid()),
    organization_id: nullable(uuid()),
    anomaly_type: Type.String(),
    severity: severity(),
    source_type: Type.String(),
    ...facts,
    recommended_actions: Type.Array(Type.Unknown()),
    historical_occurrences: Type.Integer(),
    affected_components: Type.Array(Type.String()),
    detection_timestamp: timestamp(),
    last_observed_at: nullable(timestamp()),
    flapping: Type.Boolean({
      description: 'The component keeps opening and closing this signal; held open instead of re-firing'
    }),
    status: anomalyStatus(),
    acknowledged_by: nullable(uuid()),
    acknowledged_at: nullable(timestamp()),
    resolved_by: nullable(uuid()),
    resolved_at: nullable(timestamp()),
    resolution_notes: nullable(Type.String()),
    resolution_duration_minutes: nullable(Type.Number()),
    related_anomaly_ids: Type.Array(uuid()),
    triggered_recovery_action_id: nullable(uuid()),
    escalation_event_id: nullable(uuid()),
    silence_id: nullable(uuid({ description: 'The silence that held it last (docs/silences.md)' })),
    silenced_until: nullable(
      timestamp({ description: 'Held by that silence until then: nothing automatic is decided or escalated before' })
    ),
    gpt4o_prompt: nullable(Type.String()),
    gpt4o_response: nullable(Type.String()),
    gpt4o_model: nullable(Type.String()),
    gpt4o_tokens_used: nullable(Type.Integer()),
    gpt4o_analysis_duration_ms: nullable(Type.Number()),
    metadata: jsonObject(),
    created_at: timestamp(),
    updated_at: timestamp()
  },
  {
    $id: 'Anomaly',
    examples: [
      {
        id: '2b7e0c1a-5f3d-4c8e-9a61-7d2e4f9b1c03',
        anomaly_type: 'latency_spike',
        severity: 'high',
        status: 'open',
        source_type: 'system_health_events',
        source_component_name: 'orchestrate-flow',
        confidence_score: 0.93,
        baseline_value: 180,
        observed_value: 2400,
        deviation_percentage: 1233.3,
        threshold_exceeded: 360,
        pattern_type: 'sudden_spike',
        detection_method: 'statistical+rule_based_analysis',
        detection_algorithm: 'rule:latency_ms>2x_baseline',
        historical_occurrences: 1,
        flapping: false,
        related_anomaly_ids: [],
        detection_timestamp: '2026-11-28T06:01:00.000Z',
        user_id: null,
        organization_id: '00000000-0000-4000-8000-000000000314',
        anomaly_category: 'performance',
        source_id: '6f1c2b9e-4d7a-4a51-9c1e-2f8b0d3a7e10',
        source_component_type: 'edge_function',
        anomaly_description: 'p95 latency of orchestrate-flow rose from 180 ms to 2400 ms within five minutes',
        anomaly_summary: 'Latency spike on orchestrate-flow',
        root_cause_analysis: 'The spike follows timeouts from its upstream dependency; errors rose with it.',
        pattern_duration_seconds: 300,
        pattern_frequency: null,
        affected_users_count: null,
        business_impact: 'Workflow runs take over two seconds',
        estimated_cost_impact: null,
        recommended_actions: ['restart_function'],
        affected_components: ['orchestrate-flow'],
        last_observed_at: '2026-11-28T06:01:00.000Z',
        acknowledged_by: null,
        acknowledged_at: null,
        resolved_by: null,
        resolved_at: null,
        resolution_notes: null,
        resolution_duration_minutes: null,
        triggered_recovery_action_id: '9d4f1e2a-3b6c-4d7e-8f90-a1b2c3d4e5f6',
        escalation_event_id: null,
        silence_id: null,
        silenced_until: null,
        gpt4o_prompt: null,
        gpt4o_response: null,
        gpt4o_model: null,
        gpt4o_tokens_used: null,
        gpt4o_analysis_duration_ms: null,
        metadata: {},
        created_at: '2026-11-28T06:01:00.000Z',
        updated_at: '2026-11-28T06:01:00.000Z'
      }
    ]
  }
)

export const AnomalyStatusUpdate = Type.Object(
  {
    status: anomalyStatus({
      description:
        'open -> acknowledged | investigating | resolved | false_positive; acknowledged -> investigating | resolved | false_positive; investigating -> resolved | false_positive'
    }),
    resolution_notes: Type.Optional(text(4000))
  },
  { $id: 'AnomalyStatusUpdate', additionalProperties: false, examples: [{ status: 'acknowledged' }] }
)

export const AnomalyList = cursorPage(Anomaly, 'AnomalyList')

export type AnomalyInputBody = Static<typeof AnomalyInput>
export type AnomalyRow = Static<typeof Anomaly>
export const ANOMALY_COLUMNS = Object.keys(AnomalyInput.properties) as Array<keyof AnomalyInputBody>
