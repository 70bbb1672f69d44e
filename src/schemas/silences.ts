// Silences and deploy markers: the contract of /v1/silences and /v1/deployments. A silence is
// shaped like Alertmanager's (matchers, startsAt, endsAt, comment, createdBy) so people
// recognise it, with our signal fields as matcher names and an optional recurrence.
import { Type, type Static } from 'typebox'
import { cursorPage, name, nullable, text, timestamp, uuid } from './fields.js'

export const MATCHER_NAME_PATTERN =
  '^(component_name|component_type|anomaly_type|severity|environment|label:[A-Za-z_][A-Za-z0-9_]{0,99})$'
export const SILENCE_STATES = ['pending', 'active', 'expired'] as const

export const Matcher = Type.Object(
  {
    name: Type.String({
      pattern: MATCHER_NAME_PATTERN,
      description:
        'component_name, component_type, anomaly_type, severity, environment, or label:<name> for an Alertmanager label the signal carries',
      examples: ['component_name', 'label:team']
    }),
    value: text(256, {
      description: 'Compared with the whole field; a field the signal lacks compares as the empty string'
    }),
    is_regex: Type.Optional(
      Type.Boolean({ default: false, description: 'value is a regular expression, anchored at both ends' })
    ),
    is_equal: Type.Optional(
      Type.Boolean({ default: true, description: 'false: the matcher holds when it does not match' })
    )
  },
  { $id: 'SilenceMatcher', additionalProperties: false }
)

export const Recurrence = Type.Object(
  {
    cron: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'When each window opens: a cron expression (5 or 6 fields) in time_zone',
        examples: ['0 2 * * 0']
      })
    ),
    rrule: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        description:
          'When each window opens: an RFC 5545 RRULE (without DTSTART; the first window is at or after starts_at, in time_zone)',
        examples: ['FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0']
      })
    ),
    duration_minutes: Type.Integer({ minimum: 1, maximum: 10_080, description: 'How long each window lasts' }),
    time_zone: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'IANA time zone the windows follow, daylight saving included',
      examples: ['Europe/Berlin']
    })
  },
  {
    $id: 'SilenceRecurrence',
    additionalProperties: false,
    description: 'Exactly one of cron and rrule. The silence holds only inside a window, between starts_at and ends_at'
  }
)

const matchers = Type.Array(Type.Unsafe<Static<typeof Matcher>>({ $ref: 'SilenceMatcher#' }), {
  minItems: 1,
  maxItems: 20,
  description: 'All must hold for a signal to be silenced; at least one must not match the empty string'
})

export const SilenceInput = Type.Object(
  {
    organization_id: Type.Optional(uuid({ description: 'For the service role: the organization the silence holds' })),
    matchers,
    starts_at: Type.Optional(timestamp({ description: 'Default: now' })),
    ends_at: timestamp(),
    comment: text(1000, { minLength: 1, description: 'Why (required); free text, several lines if need be' }),
    recurrence: Type.Optional(Type.Unsafe<Static<typeof Recurrence>>({ $ref: 'SilenceRecurrence#' }))
  },
  {
    $id: 'SilenceInput',
    additionalProperties: false,
    examples: [
      {
        matchers: [{ name: 'component_name', value: 'checkout-.*', is_regex: true }],
        ends_at: '2027-06-30T00:00:00Z',
        comment: 'weekly database maintenance',
        recurrence: { cron: '0 2 * * 0', duration_minutes: 120, time_zone: 'Europe/Berlin' }
      }
    ]
  }
)

export const SilenceUpdate = Type.Object(
  {
    ends_at: Type.Optional(timestamp()),
    comment: Type.Optional(text(1000, { minLength: 1 }))
  },
  {
    $id: 'SilenceUpdate',
    additionalProperties: false,
    minProperties: 1,
    examples: [{ ends_at: '2030-01-01T00:00:00Z', comment: 'the migration runs longer' }]
  }
)

export const Silence = Type.Object(
  {
    id: uuid(),
    organization_id: uuid(),
    matchers: Type.Array(
      Type.Object({ name: Type.String(), value: Type.String(), is_regex: Type.Boolean(), is_equal: Type.Boolean() })
    ),
    starts_at: timestamp(),
    ends_at: timestamp(),
    comment: Type.String(),
    recurrence: nullable(Type.Unsafe<Static<typeof Recurrence>>({ $ref: 'SilenceRecurrence#' })),
    state: Type.Enum(SILENCE_STATES, {
      description:
        'pending: starts later; active: between starts_at and ends_at (a recurring one holds only inside its windows); expired'
    }),
    created_by: nullable(uuid()),
    updated_by: nullable(uuid()),
    created_at: timestamp(),
    updated_at: timestamp()
  },
  { $id: 'Silence' }
)

export const SilenceList = cursorPage(Silence, 'SilenceList')

export const DeploymentInput = Type.Object(
  {
    organization_id: Type.Optional(uuid({ description: 'For the service role: whose component was deployed' })),
    component_name: name(200),
    version: name(100, { examples: ['4.2.1'] }),
    environment: Type.Optional(name(50, { examples: ['production'] }))
  },
  { $id: 'DeploymentInput', additionalProperties: false }
)

export const Deployment = Type.Object(
  {
    id: uuid(),
    organization_id: uuid(),
    component_name: Type.String(),
    version: Type.String(),
    environment: nullable(Type.String()),
    previous_version: nullable(Type.String({ description: "The component's version before this one" })),
    silence_id: nullable(uuid({ description: 'The maintenance window the deploy opened' })),
    deployed_by: nullable(uuid()),
    created_at: timestamp()
  },
  { $id: 'Deployment' }
)

export const DeploymentList = cursorPage(Deployment, 'DeploymentList')

export type MatcherInput = Static<typeof Matcher>
export type RecurrenceInput = Static<typeof Recurrence>
export type SilenceInputBody = Static<typeof SilenceInput>
export type SilenceView = Static<typeof Silence>
export type DeploymentView = Static<typeof Deployment>
