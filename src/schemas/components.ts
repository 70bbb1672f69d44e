// The component registry: control targets per component. Secrets go in, never come out.
import { Type, type Static } from 'typebox'
import { jsonObject, name, nullable, optional, text, timestamp, uuid } from './fields.js'

/** Also the longest path parameter of any route: the router is sized by it (app.ts). */
export const COMPONENT_NAME_MAX_LENGTH = 200

export const ComponentName = Type.String({
  maxLength: COMPONENT_NAME_MAX_LENGTH,
  description: "The registered component's name",
  pattern: `^[A-Za-z0-9][A-Za-z0-9._:-]{0,${COMPONENT_NAME_MAX_LENGTH - 1}}$`,
  examples: ['orchestrate-flow']
})

/**
 * A component's name as health events, signals, actions and breakers carry it: any 1-200
 * characters, wider than a registered name, since components report under their own names.
 */
export const ReportedComponentName = name(COMPONENT_NAME_MAX_LENGTH, {
  description: 'The name the component reports under',
  examples: ['orchestrate-flow']
})

/** An organization as a query string names it: a UUID, or `platform` for the platform's own. */
const organizationName = (description: string) =>
  Type.Optional(
    Type.String({
      pattern: '^(platform|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$',
      description
    })
  )

/** Which organization's component a read means. */
export const OrganizationQuery = organizationName(
  "The organization (a UUID, or `platform` for the platform's own components). Users and admins default to their token's organization; the service role must name it for one component"
)

/** A database function's result narrowed to one organization's rows (no platform spelling). */
export const OrganizationIdFilter = Type.Optional(
  uuid({ description: "Only this organization's rows; row-level security still decides what the caller sees" })
)

/** A list narrowed to one organization's rows. */
export const OrganizationFilter = organizationName(
  "Only this organization's rows (a UUID), or `platform` for the platform's own; row-level security still decides what the caller sees: an admin reading one organization's component"
)

export const ComponentInput = Type.Object(
  {
    component_type: name(100, { examples: ['edge_function'] }),
    organization_id: optional(
      uuid({
        description:
          "The organization the component belongs to; null: the platform's own (admins and the service role only). Users and admins leave it out to act within their token's organization; the service role must name it"
      })
    ),
    description: optional(text(2000)),
    webhook_url: optional(
      Type.String({
        format: 'uri',
        pattern: '^https?://',
        maxLength: 2000,
        description:
          'Control endpoint: receives signed POSTs for restart_function, scale_up, scale_down, rollback_deployment (and clear_cache, reset_connection without a specific target). No user:password and no credential in the query string'
      })
    ),
    webhook_secret: optional(
      Type.String({
        pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
        maxLength: 100,
        writeOnly: true,
        description:
          'Standard Webhooks secret (whsec_ and the base64 of 24 to 64 bytes) that signs control requests. Stored encrypted, never returned. Left out: the stored one is kept while webhook_url stays the same, one is generated (and returned once) for a new webhook, and a changed webhook_url is refused'
      })
    ),
    redis_url: optional(
      Type.String({
        pattern: '^rediss?://',
        maxLength: 2000,
        description: 'Redis whose keys under key_prefix clear_cache deletes'
      })
    ),
    key_prefix: optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Ends with a delimiter (: / . - _ | #), such as "cache:"'
      })
    ),
    database_url: optional(
      Type.String({
        pattern: '^postgres(ql)?://',
        maxLength: 2000,
        description: 'PostgreSQL whose connections of application_name reset_connection terminates'
      })
    ),
    application_name: optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "Not one of the service's own application names unless HEAL_ALLOW_SELF_RESET is set"
      })
    ),
    metadata: Type.Optional(jsonObject({ default: {} }))
  },
  {
    $id: 'ComponentInput',
    additionalProperties: false,
    examples: [
      {
        component_type: 'edge_function',
        webhook_url: 'https://control.example.com/orchestrate-flow',
        webhook_secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
      }
    ]
  }
)

export const Component = Type.Object(
  {
    component_name: Type.String(),
    component_type: Type.String(),
    organization_id: nullable(uuid()),
    description: nullable(Type.String()),
    webhook_url: nullable(Type.String()),
    webhook_secret: Type.Optional(
      Type.String({ description: 'Only in the PUT answer that generated it: keep it, it is never shown again' })
    ),
    redis_url: nullable(
      Type.String({ description: 'Any password in it (user:password@, ?password=) is shown as ***' })
    ),
    key_prefix: nullable(Type.String()),
    database_url: nullable(
      Type.String({ description: 'Any password in it (user:password@, ?password=) is shown as ***' })
    ),
    application_name: nullable(Type.String()),
    metadata: jsonObject(),
    created_at: timestamp(),
    updated_at: timestamp()
  },
  {
    $id: 'Component',
    examples: [
      {
        component_name: 'orchestrate-flow',
        component_type: 'edge_function',
        organization_id: null,
        description: null,
        webhook_url: 'https://control.example.com/orchestrate-flow',
        redis_url: 'redis://cache:***@cache.example.com:6379/2',
        key_prefix: 'orchestrate:',
        database_url: null,
        application_name: null,
        metadata: {},
        created_at: '2026-11-28T06:00:00.000Z',
        updated_at: '2026-11-28T06:00:00.000Z'
      }
    ]
  }
)

export type ComponentInputBody = Static<typeof ComponentInput>
export type ComponentRow = Static<typeof Component>
