// Alertmanager's webhook payload (version 4), which Grafana's alerting also sends. Unknown
// fields are allowed: Grafana adds its own (orgId, state, values, dashboardURL...), and a newer
// Alertmanager may too; they are ignored, never refused.
import { Type, type Static } from 'typebox'
import { timestamp } from './fields.js'

const Labels = Type.Record(Type.String(), Type.String(), { maxProperties: 200 })

export const AlertmanagerAlert = Type.Object(
  {
    status: Type.Enum(['firing', 'resolved']),
    labels: Labels,
    annotations: Type.Optional(Labels),
    startsAt: timestamp({ description: "When the alert started firing: the signal's detection time" }),
    endsAt: Type.Optional(Type.String({ description: 'When it resolved; "0001-01-01T00:00:00Z" while firing' })),
    generatorURL: Type.Optional(Type.String({ maxLength: 4000 })),
    fingerprint: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'Identifies the alert; derived from its labels when absent'
      })
    )
  },
  { $id: 'AlertmanagerAlert', additionalProperties: true }
)

export const AlertmanagerPayload = Type.Object(
  {
    version: Type.Optional(Type.String({ examples: ['4'] })),
    status: Type.Optional(Type.Enum(['firing', 'resolved'])),
    receiver: Type.Optional(Type.String()),
    groupKey: Type.Optional(Type.String()),
    truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
    groupLabels: Type.Optional(Labels),
    commonLabels: Type.Optional(Labels),
    commonAnnotations: Type.Optional(Labels),
    externalURL: Type.Optional(Type.String()),
    alerts: Type.Array(Type.Unsafe<Static<typeof AlertmanagerAlert>>({ $ref: 'AlertmanagerAlert#' }), {
      maxItems: 1000
    })
  },
  {
    $id: 'AlertmanagerPayload',
    additionalProperties: true,
    examples: [
      {
        version: '4',
        status: 'firing',
        receiver: 'core314',
        groupKey: '{}:{alertname="HighErrorRate"}',
        truncatedAlerts: 0,
        groupLabels: { alertname: 'HighErrorRate' },
        commonLabels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical' },
        commonAnnotations: { summary: 'checkout 5xx above 5%' },
        externalURL: 'http://alertmanager:9093',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical' },
            annotations: {
              summary: 'checkout 5xx above 5%',
              description: '7.2% of requests failed in the last 5 minutes'
            },
            startsAt: '2026-12-05T10:00:00Z',
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus:9090/graph?g0.expr=...',
            fingerprint: 'c4f1b7a2d9e0f311'
          }
        ]
      }
    ]
  }
)

export const AlertmanagerResult = Type.Object(
  {
    received: Type.Integer({ description: 'Alerts in the payload' }),
    opened: Type.Integer({ description: 'Signals opened' }),
    updated: Type.Integer({ description: 'Active signals a firing alert joined or raised' }),
    resolved: Type.Integer({ description: 'Signals resolved (their last firing alert resolved)' }),
    unchanged: Type.Integer({ description: 'Repeats: alerts already known in that state' }),
    ignored: Type.Array(
      Type.Object({
        fingerprint: Type.String(),
        reason: Type.String()
      }),
      {
        description:
          'Alerts not turned into signals, with why (no component label; a component or component_type label longer than a name may be (200, 100 characters) or holding a control or invisible formatting character; or a startsAt further ahead than EVENT_MAX_FUTURE_SKEW_SECONDS)'
      }
    ),
    signal_ids: Type.Array(Type.String({ format: 'uuid' }), {
      description: 'The signals the alerts opened, updated or resolved, in payload order'
    })
  },
  { $id: 'AlertmanagerResult' }
)

export type AlertmanagerPayloadBody = Static<typeof AlertmanagerPayload>
export type AlertmanagerResultBody = Static<typeof AlertmanagerResult>
