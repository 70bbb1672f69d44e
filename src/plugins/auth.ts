// Who is calling. Routes name the callers they admit in `config.allow`; this plugin verifies
// the bearer token, derives the caller kind and the database identity, and answers 401 for a
// missing or bad token and 403 for a kind the route does not admit. Authorisation of rows is
// not decided here: PostgreSQL's row-level security does that with the same claims.
// Every failed authentication counts against the caller's address (rate-limit's authFailures);
// an address that spent its budget is refused with 429 before its token is even looked at,
// unless the token is one this instance verified recently.
// Integration endpoints also admit organization ingest keys (`c314_...`): such a caller is the
// service role with the key's organization in its claims, whatever the payload says.
import fp from 'fastify-plugin'
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { identify, type CallerKind, type Identity } from '../services/auth/identity.js'
import { createVerifier, type TokenSettings } from '../services/auth/tokens.js'
import { errors } from '../errors.js'
import { isIngestKey } from '../services/integrations/ingest-keys.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Caller kinds admitted; a route without it is public. */
    allow?: CallerKind[]
  }
  interface FastifyRequest {
    identity: Identity | null
    /**
     * Who the caller is for per-caller budgets: kind and user id, or for the service role
     * without a subject its token's digest. Null for anonymous requests.
     */
    callerKey: string | null
  }
}

function callerKey(identity: Identity, token: string): string {
  if (identity.userId !== null) return `${identity.kind}:${identity.userId}`
  return `${identity.kind}:token:${createHash('sha256').update(token).digest('base64url')}`
}

// RFC 9110 requires a challenge on every 401; RFC 6750 gives its bearer form (ingest keys are
// bearer tokens too): error="invalid_token" when a token was sent and refused, no error code
// when none was.
const CHALLENGE = 'Bearer realm="core314"'
const TOKEN_REFUSED = `${CHALLENGE}, error="invalid_token"`

export interface AuthOptions extends TokenSettings {
  /** Finds a live ingest key's organization (and records its use); without it no key is accepted. */
  ingestKeys?: (key: string) => Promise<{ keyId: string; organizationId: string } | undefined>
}

/** An ingest key's caller: the service role, bound to the key's organization. */
export function ingestIdentity(keyId: string, organizationId: string): Identity {
  return {
    kind: 'ingest',
    role: 'service_role',
    userId: null,
    claims: { role: 'service_role', sub: null, app_metadata: { organization_id: organizationId }, ingest_key_id: keyId }
  }
}

export default fp(
  async (app, options: AuthOptions) => {
    const verify = createVerifier(options)
    const failures = app.authFailures

    app.decorateRequest('identity', null)
    app.decorateRequest('callerKey', null)

    async function refuse(
      request: FastifyRequest,
      reply: FastifyReply,
      detail: string,
      challenge = TOKEN_REFUSED
    ): Promise<never> {
      await failures.record(request)
      void reply.header('www-authenticate', challenge)
      throw new errors.Unauthorized(detail)
    }

    async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const allow = request.routeOptions.config.allow
      if (allow === undefined) return
      const header = request.headers.authorization
      const token = header === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(header)?.[1]
      const wait = token !== undefined && verify.remembers(token) ? 0 : failures.retryAfter(request)
      if (wait > 0) {
        void reply.header('retry-after', String(wait))
        throw new errors.AuthenticationFailuresLimited(
          `too many failed authentications from this address; retry after ${wait} s`
        )
      }
      if (token === undefined)
        return await refuse(request, reply, 'a bearer token is required (Authorization: Bearer <JWT>)', CHALLENGE)
      if (isIngestKey(token)) {
        if (!allow.includes('ingest'))
          throw new errors.IngestKeyNotAllowed(
            'ingest keys are accepted only by the integration endpoints (/v1/integrations/*, /otlp/v1/metrics)'
          )
        const found = await options.ingestKeys?.(token)
        if (found === undefined) return await refuse(request, reply, 'the ingest key is unknown or revoked')
        request.identity = ingestIdentity(found.keyId, found.organizationId)
        request.callerKey = `ingest:${found.keyId}`
        return
      }
      let claims: Record<string, unknown>
      try {
        claims = (await verify(token)) as Record<string, unknown>
      } catch (err) {
        request.log.debug({ err }, 'token rejected')
        return await refuse(
          request,
          reply,
          'the bearer token is malformed, wrongly signed, expired or not for this service'
        )
      }
      const identity = identify(claims)
      if (identity === null)
        return await refuse(
          request,
          reply,
          'the token names no usable role: role must be authenticated (with a UUID sub) or service_role'
        )
      if (!allow.includes(identity.kind))
        throw new errors.RoleNotAllowed(`this operation is for ${allow.join(', ')} callers`)
      request.identity = identity
      request.callerKey = callerKey(identity, token)
    }

    app.addHook('onRequest', authenticate)
  },
  { name: 'auth', dependencies: ['rate-limit'] }
)
