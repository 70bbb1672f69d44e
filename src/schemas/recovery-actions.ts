// Recovery actions (seed 1.3): what a caller asks for, what the API returns, and the
// approval workflow's bodies.
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
  tags,
  text,
  timestamp,
  uuid
} from './fields.js'
import { snakeName } from './anomalies.js'

export const EXECUTION_STATUSES = [
  'pending',
  'pending_approval',
  'approved',
  'rejected',
  'running',
  'succeeded',
  'failed',
  'retry_scheduled',
  'cancelled',
  'dry_run',
  'rolled_back'
] as const
export const APPROVAL_STATUSES = ['not_required', 'pending', 'approved', 'rejected', 'expired'] as const
export const TRIGGER_TYPES = ['automatic', 'manual', 'scheduled', 'rollback', 'escalation'] as const

export const executionStatus = (options: Record<string, unknown> = {}) => Type.Enum(EXECUTION_STATUSES, options)
export const approvalStatus = (options: Record<string, unknown> = {}) => Type.Enum(APPROVAL_STATUSES, options)

export const RetryPolicy = Type.Object(
  {
    base_delay_seconds: Type.Optional(Type.Number({ minimum: 0, maximum: 3600, default: 1 })),
    factor: Type.Optional(Type.Number({ minimum: 1, maximum: 10, default: 2 })),
    max_delay_seconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86400, default: 60 })),
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: 0.1 }))
  },
  { $id: 'RetryPolicy', additionalProperties: false, description: 'Exponential backoff with jitter between attempts' }
)

export const RecoveryActionInput = Type.Object(
  {
    user_id: optional(uuid()),
    organization_id: optional(
      uuid({
        description:
          "The organization whose component the action targets; null: the platform's own. Omitted: the token's organization (an admin's own; a service token without one: the platform's)"
      })
    ),
    action_type: snakeName({
      description: 'A registered executor type (GET /v1/executors)',
      examples: ['restart_function']
    }),
    action_category: optional(label(100)),
    action_name: optional(label(200)),
    action_description: optional(text(4000)),
    triggered_by_anomaly_id: optional(uuid()),
    triggered_by_health_event_id: optional(uuid()),
    trigger_reason: optional(text(4000)),
    target_component_type: optional(label(100)),
    target_component_name: name(200, { examples: ['orchestrate-flow'] }),
    target_component_id: optional(label(200)),
    target_environment: optional(label(50)),
    action_parameters: Type.Optional(
      jsonObject({ default: {}, description: 'Parameters the executor accepts (its config_schema)' })
    ),
    retry_policy: Type.Optional(Type.Unsafe<Static<typeof RetryPolicy>>({ $ref: 'RetryPolicy#' })),
    max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 3 })),
    timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, default: 30 })),
    dry_run: Type.Optional(
      Type.Boolean({ default: false, description: 'Simulate only: nothing is sent to the component' })
    ),
    requires_approval: Type.Optional(
      Type.Boolean({
        description:
          'true makes any action wait in pending_approval for an admin. A real run of a type in HEAL_APPROVAL_TYPES waits whatever this says.'
      })
    ),
    notification_channels: Type.Optional(tags())
  },
  {
    $id: 'RecoveryActionInput',
    additionalProperties: false,
    examples: [
      {
        action_type: 'restart_function',
        target_component_name: 'orchestrate-flow',
        trigger_reason: 'p95 latency 2.4 s',
        dry_run: true
      }
    ]
  }
)

export const RecoveryAction = Type.Object(
  {
    id: uuid(),
    user_id: nullable(uuid()),
    organization_id: nullable(uuid()),
    action_type: Type.String(),
    action_category: nullable(Type.String()),
    action_name: nullable(Type.String()),
    action_description: nullable(Type.String()),
    trigger_type: Type.Enum(TRIGGER_TYPES),
    triggered_by_user_id: nullable(uuid()),
    triggered_by_anomaly_id: nullable(uuid()),
    triggered_by_health_event_id: nullable(uuid()),
    triggered_by_escalation_id: nullable(uuid()),
    trigger_reason: nullable(Type.String()),
    target_component_type: nullable(Type.String()),
    target_component_name: Type.String(),
    target_component_id: nullable(Type.String()),
    target_environment: nullable(Type.String()),
    action_config: jsonObject(),
    action_parameters: jsonObject(),
    retry_policy: jsonObject(),
    timeout_seconds: Type.Integer(),
    dry_run: Type.Boolean(),
    execution_status: executionStatus(),
    execution_started_at: nullable(timestamp()),
    execution_completed_at: nullable(timestamp()),
    execution_duration_ms: nullable(Type.Number()),
    attempt_number: Type.Integer(),
    max_attempts: Type.Integer(),
    last_attempt_at: nullable(timestamp()),
    next_retry_at: nullable(timestamp()),
    execution_result: nullable(jsonObject()),
    execution_output: nullable(Type.String()),
    execution_error: nullable(Type.String()),
    execution_error_code: nullable(Type.String()),
    success: nullable(Type.Boolean()),
    affected_users_count: nullable(count()),
    affected_components: Type.Array(Type.String()),
    downtime_seconds: nullable(nonNegative()),
    recovery_effectiveness_score: nullable(Type.Number({ description: '0-100' })),
    pre_action_metrics: nullable(jsonObject()),
    post_action_metrics: nullable(jsonObject()),
    metrics_improvement_percentage: nullable(Type.Number()),
    verification_status: nullable(Type.String({ description: 'pending, verified, not_improved or inconclusive' })),
    verification_due_at: nullable(timestamp()),
    verified_at: nullable(timestamp()),
    rollback_required: Type.Boolean(),
    rollback_action_id: nullable(uuid()),
    rollback_reason: nullable(Type.String()),
    rollback_completed_at: nullable(timestamp()),
    requires_approval: Type.Boolean(),
    approval_status: approvalStatus(),
    approval_expires_at: nullable(timestamp()),
    approved_by: nullable(uuid()),
    approved_at: nullable(timestamp()),
    approval_notes: nullable(Type.String()),
    notifications_sent: Type.Array(Type.Unknown()),
    notification_channels: Type.Array(Type.String()),
    executed_by: nullable(Type.String()),
    execution_context: jsonObject(),
    runbook_run_id: nullable(uuid({ description: 'The runbook run this action is a step of' })),
    runbook_step: nullable(Type.Integer({ minimum: 0, description: 'Its step index in that run (0 is the first)' })),
    created_at: timestamp(),
    updated_at: timestamp()
  },
  {
    $id: 'RecoveryAction',
    examples: [
      {
        id: '9d4f1e2a-3b6c-4d7e-8f90-a1b2c3d4e5f6',
        action_type: 'restart_function',
        trigger_type: 'automatic',
        target_component_name: 'orchestrate-flow',
        execution_status: 'succeeded',
        attempt_number: 1,
        max_attempts: 3,
        requires_approval: false,
        approval_status: 'not_required',
        dry_run: false,
        success: true,
        execution_duration_ms: 212,
        verification_status: 'verified',
        metrics_improvement_percentage: 64.2,
        recovery_effectiveness_score: 82,
        user_id: null,
        organization_id: '00000000-0000-4000-8000-000000000314',
        action_category: 'restart',
        action_name: 'Restart orchestrate-flow',
        action_description: null,
        triggered_by_user_id: null,
        triggered_by_anomaly_id: '2b7e0c1a-5f3d-4c8e-9a61-7d2e4f9b1c03',
        triggered_by_health_event_id: null,
        triggered_by_escalation_id: null,
        trigger_reason: 'latency_spike (high) on orchestrate-flow',
        target_component_type: 'edge_function',
        target_component_id: null,
        target_environment: 'production',
        action_config: {},
        action_parameters: {},
        retry_policy: { base_delay_seconds: 1, factor: 2, max_delay_seconds: 60, jitter: 0.1 },
        timeout_seconds: 60,
        execution_started_at: '2026-11-28T06:01:05.000Z',
        execution_completed_at: '2026-11-28T06:01:05.212Z',
        last_attempt_at: '2026-11-28T06:01:05.000Z',
        next_retry_at: null,
        execution_result: { restarted: true },
        execution_output: 'restart acknowledged by the control endpoint',
        execution_error: null,
        execution_error_code: null,
        affected_users_count: null,
        affected_components: ['orchestrate-flow'],
        downtime_seconds: 0.2,
        pre_action_metrics: { latency_p95_ms: 2300 },
        post_action_metrics: { latency_p95_ms: 820 },
        verification_due_at: '2026-11-28T06:06:05.212Z',
        verified_at: '2026-11-28T06:06:10.000Z',
        rollback_required: false,
        rollback_action_id: null,
        rollback_reason: null,
        rollback_completed_at: null,
        approval_expires_at: null,
        approved_by: null,
        approved_at: null,
        approval_notes: null,
        notifications_sent: [],
        notification_channels: [],
        executed_by: 'healing-engine',
        execution_context: {},
        runbook_run_id: null,
        runbook_step: null,
        created_at: '2026-11-28T06:01:02.000Z',
        updated_at: '2026-11-28T06:06:10.000Z'
      }
    ]
  }
)

export const ApprovalDecision = Type.Object(
  {
    notes: Type.Optional(
      text(4000, {
        description: 'Why: stored as approval_notes when approving or rejecting, as execution_output when cancelling'
      })
    )
  },
  { $id: 'ApprovalDecision', additionalProperties: false }
)

export const RecoveryActionList = cursorPage(RecoveryAction, 'RecoveryActionList')

export type RecoveryActionInputBody = Static<typeof RecoveryActionInput>
export type RecoveryActionRow = Static<typeof RecoveryAction>
