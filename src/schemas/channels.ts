// Notification channels of an organization: Slack incoming webhooks, signed generic webhooks,
// PagerDuty Events API v2. Secrets are write-only; a generated webhook secret is shown once.
import { Type, type Static } from 'typebox'
import { name, nullable, timestamp, uuid } from './fields.js'

const severity = (options: Record<string, unknown> = {}) => Type.Enum(['low', 'medium', 'high', 'critical'], options)
const KINDS = ['slack', 'webhook', 'pagerduty'] as const
const httpUrl = (description: string) =>
  Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, description })

const SEVERITY_DESCRIPTION = 'Escalations at or above it are sent; their acknowledgement and resolution follow'

// A create fills in what it is not given; an update must not, or Ajv's useDefaults would turn
// a PATCH of the name into a reset of the severity and a re-enabling of a disabled channel.
const defaulted = {
  min_severity: Type.Optional(severity({ default: 'low', description: SEVERITY_DESCRIPTION })),
  enabled: Type.Optional(Type.Boolean({ default: true }))
}

const changed = {
  min_severity: Type.Optional(severity({ description: `${SEVERITY_DESCRIPTION}. Unchanged when left out` })),
  enabled: Type.Optional(Type.Boolean({ description: 'Unchanged when left out' }))
}

const settable = {
  url: Type.Optional(
    httpUrl(
      'webhook: where notifications are POSTed (required). pagerduty: an Events API URL other than https://events.pagerduty.com/v2/enqueue, e.g. the EU one'
    )
  ),
  webhook_url: Type.Optional(
    Type.String({ ...httpUrl('slack: the incoming webhook URL. Write-only'), writeOnly: true })
  ),
  secret: Type.Optional(
    Type.String({
      pattern: '^whsec_[A-Za-z0-9+/]{32,}={0,2}$',
      writeOnly: true,
      description:
        'webhook: the Standard Webhooks signing secret (whsec_<base64>, at least 24 bytes). Generated and returned once when left out. Write-only'
    })
  ),
  routing_key: Type.Optional(
    Type.String({
      minLength: 20,
      maxLength: 64,
      pattern: '^[A-Za-z0-9]+$',
      writeOnly: true,
      description: 'pagerduty: the Events API v2 integration key. Write-only'
    })
  )
}

export const ChannelInput = Type.Object(
  {
    name: name(100, { examples: ['payments on-call'] }),
    kind: Type.Enum(KINDS),
    organization_id: Type.Optional(
      uuid({ description: 'For the service role: the organization the channel belongs to' })
    ),
    ...defaulted,
    ...settable
  },
  {
    $id: 'ChannelInput',
    additionalProperties: false,
    examples: [
      {
        name: 'payments on-call',
        kind: 'pagerduty',
        routing_key: 'R0UT1NGKEY0123456789ABCDEFGHIJ01',
        min_severity: 'high'
      }
    ]
  }
)

export const ChannelUpdate = Type.Object(
  {
    name: Type.Optional(name(100)),
    ...changed,
    ...settable
  },
  {
    $id: 'ChannelUpdate',
    additionalProperties: false,
    minProperties: 1,
    description: 'Only the fields given change; a secret given replaces the stored one',
    examples: [{ min_severity: 'high', enabled: false }]
  }
)

export const Channel = Type.Object(
  {
    id: uuid(),
    organization_id: uuid(),
    name: Type.String(),
    kind: Type.Enum(KINDS),
    min_severity: severity(),
    enabled: Type.Boolean(),
    url: nullable(Type.String()),
    created_by: nullable(uuid()),
    created_at: timestamp(),
    updated_at: timestamp(),
    secret: Type.Optional(
      Type.String({ description: 'Only when the service generated the webhook signing secret: shown this once' })
    )
  },
  { $id: 'Channel' }
)

export const ChannelTestResult = Type.Object(
  {
    ok: Type.Boolean(),
    status: nullable(Type.Integer({ description: "The channel's HTTP status" })),
    error: nullable(Type.String())
  },
  { $id: 'ChannelTestResult' }
)

export const ChannelDelivery = Type.Object(
  {
    id: Type.String(),
    event: Type.Enum(['trigger', 'acknowledge', 'resolve']),
    dedup_key: Type.String({ description: 'The signal (or escalation) it is about' }),
    status: Type.Enum(['pending', 'sent', 'failed', 'skipped'], {
      description: 'pending, sent, failed (given up) or skipped (channel disabled)'
    }),
    attempts: Type.Integer(),
    next_attempt_at: timestamp(),
    last_status: nullable(Type.Integer()),
    last_error: nullable(Type.String()),
    created_at: timestamp(),
    sent_at: nullable(timestamp())
  },
  { $id: 'ChannelDelivery' }
)

export type ChannelInputBody = Static<typeof ChannelInput>
export type ChannelUpdateBody = Static<typeof ChannelUpdate>
