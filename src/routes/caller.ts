// The verified caller of a request, for routes whose `config.allow` made authentication run.
import type { FastifyRequest } from 'fastify'
import type { Identity } from '../services/auth/identity.js'

export function callerOf(request: FastifyRequest): Identity {
  if (request.identity === null)
    throw new Error(`route ${request.routeOptions.url ?? ''} reads a caller but admits none`)
  return request.identity
}
