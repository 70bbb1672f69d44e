// Requests per caller per window (@fastify/rate-limit), counted in Redis when REDIS_URL is set
// so several instances share one budget. Callers are counted as who they are, never where they
// call from: a user or admin by their id, the service role by its subject or, without one, by
// its token. Only anonymous requests (404s included) count by address, which TRUST_PROXY lets
// Fastify read from X-Forwarded-For behind a proxy. Liveness, readiness and metrics are never
// limited: a flood must not make orchestrators restart or drop the instance.
//
// Failed authentications have their own, smaller budget per address, checked by the auth
// plugin before it verifies anything: an address that spent it gets 429 at once for tokens
// this instance has not already verified, so a flood of bad tokens costs one lookup each.
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import { growingLru } from '../lib/growing-lru.js'

export interface RateLimitOptions {
  max: number
  timeWindow: string
  /** Failed authentications per address per window. */
  authFailureMax: number
  redisUrl?: string | undefined
  /** The client's address as TRUST_PROXY reads it (request.ip, for every request there is one). */
  clientAddress: (request: IncomingMessage) => string
}

export interface AuthFailures {
  /** Seconds until the request's address may fail authentication again, or 0 when it may now. */
  retryAfter: (request: FastifyRequest) => number
  /** Counts one failed authentication against the request's address. */
  record: (request: FastifyRequest) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    authFailures: AuthFailures
  }
}

/** Never limited: what orchestrators and Prometheus poll. */
export const UNLIMITED_ROUTES = new Set(['/healthz', '/readyz', '/metrics'])

export default fp(
  async (app, options: RateLimitOptions) => {
    const redis =
      options.redisUrl === undefined
        ? undefined
        : new Redis(options.redisUrl, { connectTimeout: 500, maxRetriesPerRequest: 1, lazyConnect: false })
    if (redis !== undefined)
      app.addHook('onClose', async () => {
        await redis.quit()
      })
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      max: options.max,
      timeWindow: options.timeWindow,
      ...(redis === undefined ? {} : { redis, nameSpace: 'core314-rate-limit:' }),
      allowList: request => UNLIMITED_ROUTES.has(request.routeOptions.url ?? ''),
      // The address is read from the raw request, not request.ip: the router's refusals
      // (src/plugins/errors.ts, frameworkError) come with a request Fastify builds without
      // trustProxy, whose ip would be the proxy's, one count for all the clients behind it.
      keyGenerator: request => request.callerKey ?? `ip:${options.clientAddress(request.raw)}`,
      // The context's `after` is the time left in the window, not the window.
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        message: `rate limit of ${context.max} requests per ${options.timeWindow} exceeded; the window resets in ${Math.ceil(context.ttl / 1000)} s`
      })
    })

    // The shared count (Redis or this process) says when an address has spent its budget; each
    // instance then remembers it locally until the window ends, so refusing costs no round trip.
    const countFailure = app.createRateLimit({
      max: options.authFailureMax,
      keyGenerator: request => `auth-failure:${request.ip}`
    })
    const blockedUntil = growingLru<string, number>(100_000)
    app.decorate('authFailures', {
      retryAfter: (request: FastifyRequest) =>
        Math.max(0, Math.ceil(((blockedUntil.get(request.ip) ?? 0) - Date.now()) / 1000)),
      record: async (request: FastifyRequest) => {
        const limit = await countFailure(request)
        if (!limit.isAllowed && limit.remaining === 0)
          blockedUntil.set(request.ip, Date.now() + limit.ttl, { ttl: limit.ttl })
      }
    } satisfies AuthFailures)
  },
  { name: 'rate-limit' }
)
