// Who is calling. Routes name the callers they admit in `config.allow`; this plugin verifies
// the bearer token, derives the caller kind and the database identity, and answers 401 for a
// missing or bad token and 403 for a kind the route does not admit. Authorisation of rows is
// not decided here: PostgreSQL's row-level security does that with the same claims.
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { identify, type CallerKind, type Identity } from '../services/auth/identity.js'
import { createVerifier, type TokenSettings } from '../services/auth/tokens.js'
import { errors } from '../errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Caller kinds admitted; a route without it is public. */
    allow?: CallerKind[]
  }
  interface FastifyRequest {
    identity: Identity | null
  }
}

export default fp(async (app, options: TokenSettings) => {
  const verify = createVerifier(options)
  app.decorateRequest('identity', null)

  async function authenticate (request: FastifyRequest): Promise<void> {
    const allow = request.routeOptions.config.allow
    if (allow === undefined) return
    const header = request.headers.authorization
    const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header)
    if (match === null) throw new errors.Unauthorized('a bearer token is required (Authorization: Bearer <JWT>)')
    let claims: Record<string, unknown>
    try {
      claims = await verify(match[1] as string) as Record<string, unknown>
    } catch (err) {
      request.log.debug({ err }, 'token rejected')
      throw new errors.Unauthorized('the bearer token is malformed, wrongly signed or expired')
    }
    const identity = identify(claims)
    if (identity === null) throw new errors.Unauthorized('the token names no usable role: role must be authenticated (with a UUID sub) or service_role')
    if (!allow.includes(identity.kind)) throw new errors.Forbidden(`this operation is for ${allow.join(', ')} callers`)
    request.identity = identity
  }

  app.addHook('onRequest', authenticate)
}, { name: 'auth' })
