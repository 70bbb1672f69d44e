// Escalation events: what the engine handed to people (an action held, failed or never
// approved, an alert_escalation), the notifications sent, and where people are with it.
import { Type, type Static } from 'typebox'
import { cursorPage, jsonObject, nullable, timestamp, uuid } from './fields.js'
import { SEVERITIES } from './anomalies.js'

export const ESCALATION_STATUSES = ['open', 'acknowledged', 'resolved'] as const
export const escalationStatus = (options: Record<string, unknown> = {}) => Type.Enum(ESCALATION_STATUSES, options)
export const requestId = (options: Record<string, unknown> = {}) =>
  nullable(
    Type.String({
      description: "X-Request-Id of the API request whose work wrote this row; null for the service's own jobs",
      ...options
    })
  )

export const Escalation = Type.Object(
  {
    id: uuid(),
    user_id: nullable(uuid()),
    organization_id: nullable(uuid()),
    source_type: Type.String({ description: 'What was escalated: recovery_action or anomaly' }),
    source_id: nullable(uuid()),
    severity: Type.Enum(SEVERITIES),
    title: Type.String(),
    description: nullable(Type.String()),
    status: escalationStatus(),
    notification_channels: Type.Array(Type.String()),
    notifications_sent: Type.Array(Type.Unknown(), {
      description: 'One record per notification: channel, kind, ok, status or error, sent_at'
    }),
    acknowledged_by: nullable(uuid()),
    acknowledged_at: nullable(timestamp()),
    resolved_by: nullable(uuid()),
    resolved_at: nullable(timestamp()),
    metadata: jsonObject(),
    request_id: requestId(),
    created_at: timestamp(),
    updated_at: timestamp()
  },
  {
    $id: 'Escalation',
    examples: [
      {
        id: '6f1d2c3b-4a5e-4f60-8b7a-9c8d7e6f5a41',
        user_id: null,
        organization_id: '00000000-0000-4000-8000-000000000314',
        source_type: 'recovery_action',
        source_id: '0c9a8b7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d',
        severity: 'high',
        title: 'restart_function on orchestrate-flow failed',
        description:
          'restart_function on orchestrate-flow (recovery action 0c9a8b7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d) needs a person.\n\nWhy: HTTP_503 after 3 of 3 attempts',
        status: 'open',
        notification_channels: ['slack'],
        notifications_sent: [
          { channel: 'slack', kind: 'slack', ok: true, status: 200, sent_at: '2026-11-28T06:04:12.000Z' }
        ],
        acknowledged_by: null,
        acknowledged_at: null,
        resolved_by: null,
        resolved_at: null,
        metadata: {
          component_name: 'orchestrate-flow',
          action_id: '0c9a8b7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d',
          anomaly_id: null
        },
        request_id: null,
        created_at: '2026-11-28T06:04:11.000Z',
        updated_at: '2026-11-28T06:04:12.000Z'
      }
    ]
  }
)

export const EscalationList = cursorPage(Escalation, 'EscalationList')

export type EscalationView = Static<typeof Escalation>
