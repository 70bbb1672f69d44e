// GET /v1/stream: server-sent events naming each change the caller may read (a signal, an
// action, a self-test result, an escalation, the healing mode), so a console updates without
// polling. Each event says what changed, not its content: the client reads the row through
// the API, as the caller. Resumes after Last-Event-ID; a comment line every
// STREAM_HEARTBEAT_SECONDS keeps idle proxies from closing it.
import { finished } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import type { StreamEvent } from '../../db/stream-events.js'
import { errors } from '../../errors.js'
import { ALL_CALLERS } from '../../schemas/common.js'
import { problems } from '../../schemas/problem.js'
import { callerOf } from '../caller.js'

const RECONNECT_MS = 3000
// setTimeout's longest delay; a stream held that long is simply ended early and reopened.
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Milliseconds until the caller's token expires, or null for a credential without one. A
 * stream is authenticated once, when it opens: without this limit it would go on naming
 * changes to a caller whose token has expired (or whose role was taken away at renewal).
 */
function untilExpiry(claims: Record<string, unknown>): number | null {
  return typeof claims.exp === 'number' ? Math.min(Math.max(claims.exp * 1000 - Date.now(), 0), MAX_TIMER_MS) : null
}

const format = (event: StreamEvent): string =>
  `id: ${event.id}\nevent: ${event.topic}\ndata: ${JSON.stringify({ topic: event.topic, id: event.row_id, op: event.op })}\n\n`

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.get(
    '/stream',
    {
      config: {
        allow: [...ALL_CALLERS],
        // Written to the raw response as it happens, not serialized: described for the document only.
        documented: {
          response: {
            200: {
              description: 'The open stream: `retry`, then `id`/`event`/`data` blocks and `: ping` comments',
              headers: {
                'Cache-Control': { type: 'string', const: 'no-store', description: 'Events are never cached' },
                'X-Accel-Buffering': {
                  type: 'string',
                  const: 'no',
                  description: 'Tells an nginx proxy in front to pass each event on as it comes'
                }
              },
              content: {
                'text/event-stream': {
                  schema: {
                    type: 'string',
                    description: 'Server-sent events (WHATWG HTML, "Server-sent events")',
                    examples: [
                      'id: 42\nevent: anomaly\ndata: {"topic":"anomaly","id":"9f1c0f0e-3f7a-4c55-9a9e-6d1b2a3c4d5e","op":"insert"}\n\n'
                    ]
                  }
                }
              }
            }
          }
        }
      },
      schema: {
        operationId: 'streamEvents',
        tags: ['stream'],
        summary: 'Live changes, as server-sent events',
        description: `Every caller; each sees only changes to rows it may read (a member: their own). An event's name is its topic (anomaly, recovery_action, selftest, escalation, healing_mode, predictive_alert), its data \`{ topic, id, op }\` (the row's id, null for the healing mode; op insert or update), its id increasing across instances. Send the last id seen as Last-Event-ID to receive what was missed (up to an hour back). At most STREAM_MAX_PER_CALLER open streams per caller per instance (429 past it); a comment line every STREAM_HEARTBEAT_SECONDS; the stream ends when the instance drains (one asked for then gets 503 SERVICE_DRAINING) and when the caller's token expires (reconnect, with a fresh token).`,
        headers: Type.Object({
          'last-event-id': Type.Optional(
            Type.String({ pattern: '^[0-9]{1,15}$', description: 'The id of the last event received' })
          )
        }),
        response: { ...problems(400, 401, 429) }
      }
    },
    async (request, reply) => {
      const caller = callerOf(request)
      const lastEventId = request.headers['last-event-id']
      const raw = reply.raw
      let started = false
      // Headers go out with the first byte, so a refusal before it is still a problem+json.
      const start = (): void => {
        if (started) return
        started = true
        reply.hijack()
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
          'x-request-id': request.id
        })
        raw.write(`retry: ${RECONNECT_MS}\n\n`)
      }
      const close = await app.stream
        .open(caller, lastEventId === undefined ? null : Number(lastEventId), {
          send: event => {
            start()
            raw.write(format(event))
          },
          end: () => {
            start()
            raw.end()
          }
        })
        .catch((error: unknown) => {
          // A slot frees when one of the caller's own streams closes, not at a time the service
          // knows: Retry-After asks for the pause the stream itself sets between reconnections.
          if (error instanceof errors.RateLimited) void reply.header('retry-after', String(RECONNECT_MS / 1000))
          throw error
        })
      start()
      const heartbeat = setInterval(() => raw.write(': ping\n\n'), config.streamHeartbeatMs)
      // Ended when the token expires: the client reconnects, and its stale token earns a 401.
      const expiry = untilExpiry(caller.claims)
      const expire = expiry === null ? undefined : setTimeout(() => raw.end(), expiry)
      // finished, not on('close'): the stream may have ended while it opened (the caller left, or
      // the instance began draining), and a listener added after its close would never run,
      // leaving the timers to hold the process open and the caller's slot taken.
      finished(raw, () => {
        clearInterval(heartbeat)
        clearTimeout(expire)
        close()
      })
    }
  )
}

export default routes
