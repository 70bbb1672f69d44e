// Requests per caller per window (@fastify/rate-limit), counted in Redis when REDIS_URL is
// set so several instances share one budget. It runs after authentication so a verified
// user is limited as themself wherever they call from; anonymous requests count by address.
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { Redis } from 'ioredis'

export interface RateLimitOptions {
  max: number
  timeWindow: string
  redisUrl?: string | undefined
}

export default fp(async (app, options: RateLimitOptions) => {
  const redis = options.redisUrl === undefined
    ? undefined
    : new Redis(options.redisUrl, { connectTimeout: 500, maxRetriesPerRequest: 1, lazyConnect: false })
  if (redis !== undefined) app.addHook('onClose', async () => { await redis.quit() })
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: options.max,
    timeWindow: options.timeWindow,
    ...(redis === undefined ? {} : { redis, nameSpace: 'core314-rate-limit:' }),
    keyGenerator: (request) => {
      const identity = request.identity
      if (identity?.userId != null) return `${identity.kind}:${identity.userId}`
      return `ip:${request.ip}`
    },
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `rate limit of ${context.max} requests per ${context.after} exceeded; retry after ${Math.ceil(context.ttl / 1000)} s`
    })
  })
}, { name: 'rate-limit' })
