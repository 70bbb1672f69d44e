// The Idempotency-Key of a creating request and the fingerprint of what it asks, computed
// only when a key was sent: hashing every body would tax the requests that carry none.
import type { FastifyRequest } from 'fastify'
import { fingerprint } from '../services/idempotency.js'
import type { Idempotency } from '../services/idempotency.js'

export function idempotencyOf(request: FastifyRequest): Idempotency {
  const header = request.headers['idempotency-key']
  const key = typeof header === 'string' ? header : undefined
  return {
    key,
    fingerprint:
      key === undefined ? '' : fingerprint(`${request.method} ${request.routeOptions.url ?? ''}`, request.body)
  }
}
