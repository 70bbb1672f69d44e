// Request ids: a caller's X-Request-Id is kept when it is safe to log and forward (bounded,
// plain characters), otherwise a UUID is made; it is returned on every response, bound to
// every log line of the request (pino's reqId), and carried through the request's work
// (request-context) into audit rows, escalations and outgoing control requests.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import fp from 'fastify-plugin'
import { runInRequest } from '../request-context.js'

export const REQUEST_ID_HEADER = 'x-request-id'
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/

/** Fastify's genReqId: the caller's id when it is safe, a new UUID otherwise. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER]
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID()
}

export default fp(
  async app => {
    app.addHook('onRequest', (request, reply, done) => {
      void reply.header(REQUEST_ID_HEADER, request.id)
      done()
    })
    // The handler runs inside the request's context; earlier hooks may not keep it (a request
    // body is read from stream events, which carry the context of the socket, not the request).
    app.addHook('preHandler', (request, _reply, done) => {
      runInRequest(request.id, done)
    })
  },
  { name: 'request-id' }
)
