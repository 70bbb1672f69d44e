// What every operation of the OpenAPI document says without its route saying it, derived from
// how the service actually behaves, so a new route is documented right without thinking:
// - security: bearer where the route admits callers (auth plugin), explicitly none elsewhere;
// - 401 (with its WWW-Authenticate challenge) and 403 where the auth plugin can refuse (every
//   route it guards: one that admits every token still refuses an ingest key), 429 wherever the
//   rate limit applies (all but UNLIMITED_ROUTES), 503 on every /v1 operation (each touches the
//   database under a request deadline), 413 and 415 wherever a body is read (Fastify's body
//   limit and content-type parsers), 414 wherever a path parameter is (the router's length cap),
//   406 wherever the route's answers are negotiated against Accept (negotiation.ts);
// - the headers the plugins put on responses: X-Request-Id on all, the rate limit's counters
//   where it applies, Idempotent-Replayed on the 201 of a route taking an Idempotency-Key;
// - inputs with a server default are optional: Ajv (useDefaults) fills a missing property
//   before `required` is checked, so the service accepts a request without it, and a generated
//   client or a validating proxy must too;
// - a body is optional where the route is marked `optionalBody`.
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import type { CallerKind } from '../services/auth/identity.js'
import { problems } from '../schemas/problem.js'
import { producedTypes } from './negotiation.js'
import { UNLIMITED_ROUTES } from './rate-limit.js'

type Transform = NonNullable<FastifyDynamicSwaggerOptions['transform']>
type TransformObject = NonNullable<FastifyDynamicSwaggerOptions['transformObject']>
type JsonObject = Record<string, unknown>

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * For the document only: a request body and responses the route parses or encodes itself
     * (another content type than JSON), so they are described without being validated.
     */
    documented?: { body?: Record<string, unknown>; response?: Record<number, Record<string, unknown>> }
  }
}

const CREDENTIAL_KINDS: CallerKind[] = ['user', 'admin', 'service', 'ingest']
const OPTIONAL_BODY = 'x-core314-optional-body'
const RATE_LIMITED_MARK = 'x-core314-rate-limited'
const IDEMPOTENT_MARK = 'x-core314-idempotent'
const COMPONENT_PREFIX = '#/components/schemas/'

// @fastify/swagger turns each response header's JSON schema into a Header Object.
const retryAfter = (why: string): JsonObject => ({
  'Retry-After': { type: 'integer', minimum: 0, description: why }
})

const CHALLENGE: JsonObject = {
  'WWW-Authenticate': {
    type: 'string',
    description:
      'The bearer challenge (RFC 6750): `Bearer realm="core314"`, with `error="invalid_token"` when a token was sent and refused'
  }
}

// The headers plugins put on many responses, declared once under components.headers.
const SHARED_HEADERS: Record<string, JsonObject> = {
  RequestId: {
    description:
      "The request's id: the caller's X-Request-Id when it is safe to log and forward (1-128 plain characters), else a new UUID; logs, audit rows and outgoing control requests carry it",
    schema: { type: 'string', minLength: 1, maxLength: 128 }
  },
  RateLimitLimit: {
    description: 'Requests the caller may make per rate-limit window (RATE_LIMIT_MAX)',
    schema: { type: 'integer', minimum: 0 }
  },
  RateLimitRemaining: {
    description: 'Requests left to the caller in the current window',
    schema: { type: 'integer', minimum: 0 }
  },
  RateLimitReset: {
    description: 'Seconds until the current window ends',
    schema: { type: 'integer', minimum: 0 }
  },
  IdempotentReplayed: {
    description:
      'true when this is the stored answer to an earlier request with the same Idempotency-Key (nothing was created again), else false',
    schema: { type: 'boolean' }
  }
}
const headerRef = (name: string): JsonObject => ({ $ref: `#/components/headers/${name}` })
const RATE_LIMIT_HEADERS: JsonObject = {
  'X-RateLimit-Limit': headerRef('RateLimitLimit'),
  'X-RateLimit-Remaining': headerRef('RateLimitRemaining'),
  'X-RateLimit-Reset': headerRef('RateLimitReset')
}

function withRetryAfter(responses: Record<number, JsonObject>, why: string): Record<number, JsonObject> {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => [status, { ...response, headers: retryAfter(why) }])
  )
}

const RATE_LIMITED = withRetryAfter(problems(429), 'Seconds until the window resets')
const UNAVAILABLE = withRetryAfter(
  {
    503: {
      ...problems(503)[503],
      description: 'The database did not answer within the request deadline (nothing was stored), or is unreachable'
    }
  },
  'Seconds to wait before retrying'
)

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The object schema without `required` entries whose property has a default. */
function defaultsOptional<T>(schema: T): T {
  if (!isObject(schema) || !Array.isArray(schema.required) || !isObject(schema.properties)) return schema
  const properties = schema.properties
  const required = (schema.required as string[]).filter(
    key => !(isObject(properties[key]) && 'default' in properties[key])
  )
  if (required.length === schema.required.length) return schema
  const { required: _all, ...rest } = schema
  return (required.length > 0 ? { ...rest, required } : rest) as T
}

export const describeOperation: Transform = ({ schema: given, url, route }) => {
  // A route declared without a schema still becomes an operation.
  const schema = given ?? {}
  const allow = route.config?.allow
  const responses: Record<number | string, unknown> = {}
  if (allow !== undefined) {
    Object.assign(responses, problems(401))
    if (!CREDENTIAL_KINDS.every(kind => allow.includes(kind))) Object.assign(responses, problems(403))
  }
  if (url.startsWith('/v1/')) Object.assign(responses, UNAVAILABLE)
  if (schema.body !== undefined || route.config?.documented?.body !== undefined)
    Object.assign(responses, problems(413, 415))
  if (schema.params !== undefined) Object.assign(responses, problems(414))
  if (producedTypes(schema, route.config?.documented).length > 0) Object.assign(responses, problems(406))
  Object.assign(responses, schema.response)
  // Every 503 the service sends carries Retry-After (errors.ts). A route's own 503 keeps its
  // description when it says why; on /v1 the generic one is the database's.
  const own503 = (schema.response as Record<number, JsonObject> | undefined)?.[503]
  if (own503 !== undefined) {
    const generic = own503.description === problems(503)[503]?.description
    const shared = UNAVAILABLE[503] as JsonObject
    responses[503] = url.startsWith('/v1/') && generic ? shared : { ...own503, headers: shared.headers }
  }
  if (route.config?.documented?.response !== undefined) Object.assign(responses, route.config.documented.response)
  // A route's own 401 is the auth plugin's too.
  if (responses[401] !== undefined) responses[401] = { ...(responses[401] as JsonObject), headers: CHALLENGE }
  const rateLimited = route.config?.rateLimit !== false && !UNLIMITED_ROUTES.has(url)
  if (rateLimited) Object.assign(responses, RATE_LIMITED)

  const described: JsonObject = {
    ...schema,
    security: allow === undefined ? [] : [{ bearerAuth: [] }],
    response: responses
  }
  for (const part of ['querystring', 'headers', 'params'] as const) {
    if (schema[part] !== undefined) described[part] = defaultsOptional(schema[part])
  }
  if (schema.body !== undefined) described.body = defaultsOptional(schema.body)
  else if (route.config?.documented?.body !== undefined) described.body = route.config.documented.body
  if (route.config?.optionalBody === true) described[OPTIONAL_BODY] = true
  if (rateLimited) described[RATE_LIMITED_MARK] = true
  const headers = schema.headers as { properties?: JsonObject } | undefined
  if (headers?.properties?.['idempotency-key'] !== undefined) described[IDEMPOTENT_MARK] = true
  return { schema: described as typeof given, url }
}

/** Names of the components a schema refers to, directly or through other components. */
function referencedComponents(node: unknown, components: JsonObject, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) referencedComponents(item, components, found)
  } else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT_PREFIX)) {
        const name = value.slice(COMPONENT_PREFIX.length)
        if (!found.has(name)) {
          found.add(name)
          referencedComponents(components[name], components, found)
        }
      } else {
        referencedComponents(value, components, found)
      }
    }
  }
  return found
}

/** Adds the shared headers to each response of the operation, after the response's own. */
function declareSharedHeaders(operation: JsonObject): void {
  const rateLimited = operation[RATE_LIMITED_MARK] === true
  const idempotent = operation[IDEMPOTENT_MARK] === true
  delete operation[RATE_LIMITED_MARK]
  delete operation[IDEMPOTENT_MARK]
  for (const [status, response] of Object.entries(operation.responses as Record<string, JsonObject>)) {
    response.headers = {
      ...(response.headers as JsonObject | undefined),
      'X-Request-Id': headerRef('RequestId'),
      ...(rateLimited ? RATE_LIMIT_HEADERS : {}),
      ...(idempotent && status === '201' ? { 'Idempotent-Replayed': headerRef('IdempotentReplayed') } : {})
    }
  }
}

/** Applies the per-operation markers and makes defaulted fields of request-body components optional. */
export const finishDocument: TransformObject = documentObject => {
  if (!('openapiObject' in documentObject)) throw new Error('the document is written as OpenAPI 3')
  const document = documentObject.openapiObject as JsonObject & {
    paths: Record<string, Record<string, JsonObject>>
    components: { schemas: JsonObject; headers?: JsonObject }
  }
  document.components.headers = SHARED_HEADERS
  const components = document.components.schemas
  const requestBodies: unknown[] = []
  const responses: unknown[] = []
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations)) {
      if (operation[OPTIONAL_BODY] === true && isObject(operation.requestBody)) operation.requestBody.required = false
      delete operation[OPTIONAL_BODY]
      declareSharedHeaders(operation)
      requestBodies.push(operation.requestBody)
      responses.push(operation.responses)
    }
  }
  const inResponses = referencedComponents(responses, components)
  for (const name of referencedComponents(requestBodies, components)) {
    const optional = defaultsOptional(components[name])
    if (optional === components[name]) continue
    // One component cannot say "optional to send" and "always returned" at once.
    if (inResponses.has(name))
      throw new Error(
        `component ${name} has defaulted required fields and is used in both requests and responses: split it`
      )
    components[name] = optional
  }
  return document
}
