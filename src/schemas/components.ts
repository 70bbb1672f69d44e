// The component registry: control targets per component. Secrets go in, never come out.
import { Type, type Static } from 'typebox'
import { jsonObject, nullable, optional, text, timestamp, uuid } from './fields.js'

export const ComponentName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$', examples: ['orchestrate-flow'] })

/** Which organization's component a read means: a UUID, or `platform` for the platform's own. */
export const OrganizationQuery = Type.Optional(Type.String({
  pattern: '^(platform|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$',
  description: 'The organization (a UUID, or `platform` for the platform\'s own components). Users and admins default to their token\'s organization; the service role must name it for one component'
}))

export const ComponentInput = Type.Object({
  component_type: Type.String({ minLength: 1, maxLength: 100, examples: ['edge_function'] }),
  organization_id: optional(uuid({ description: 'The organization the component belongs to; null: the platform\'s own (admins and the service role only). Users and admins leave it out to act within their token\'s organization; the service role must name it' })),
  description: optional(text(2000)),
  webhook_url: optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, description: 'Control endpoint: receives signed POSTs for restart_function, scale_up, scale_down, rollback_deployment (and clear_cache, reset_connection without a specific target)' })),
  webhook_secret: optional(Type.String({ minLength: 16, maxLength: 512, writeOnly: true, description: 'HMAC-SHA256 key for X-Core314-Signature. Never returned; leaving it out keeps the stored one' })),
  redis_url: optional(Type.String({ pattern: '^rediss?://', maxLength: 2000, description: 'Redis whose keys under key_prefix clear_cache deletes' })),
  key_prefix: optional(Type.String({ minLength: 1, maxLength: 200 })),
  database_url: optional(Type.String({ pattern: '^postgres(ql)?://', maxLength: 2000, description: 'PostgreSQL whose connections of application_name reset_connection terminates' })),
  application_name: optional(Type.String({ minLength: 1, maxLength: 64 })),
  metadata: Type.Optional(jsonObject({ default: {} }))
}, {
  $id: 'ComponentInput',
  additionalProperties: false,
  examples: [{ component_type: 'edge_function', webhook_url: 'https://control.example.internal/orchestrate-flow', webhook_secret: 'a-long-random-shared-secret' }]
})

export const Component = Type.Object({
  component_name: Type.String(),
  component_type: Type.String(),
  organization_id: nullable(uuid()),
  description: nullable(Type.String()),
  webhook_url: nullable(Type.String()),
  redis_url: nullable(Type.String({ description: 'Any password in it is shown as ***' })),
  key_prefix: nullable(Type.String()),
  database_url: nullable(Type.String({ description: 'Any password in it is shown as ***' })),
  application_name: nullable(Type.String()),
  metadata: jsonObject(),
  created_at: timestamp(),
  updated_at: timestamp()
}, {
  $id: 'Component',
  examples: [{
    component_name: 'orchestrate-flow', component_type: 'edge_function', organization_id: null, description: null,
    webhook_url: 'https://control.example.internal/orchestrate-flow', redis_url: 'redis://cache:***@10.0.0.5:6379/2',
    key_prefix: 'orchestrate:', database_url: null, application_name: null, metadata: {},
    created_at: '2026-11-28T06:00:00.000Z', updated_at: '2026-11-28T06:00:00.000Z'
  }]
})

export type ComponentInputBody = Static<typeof ComponentInput>
export type ComponentRow = Static<typeof Component>
