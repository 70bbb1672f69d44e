// /v1/health-events: Core314 services push health events (one, or a batch stored all or
// none); every caller reads the events row-level security lets them see.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config.js'
import { Type } from 'typebox'
import {
  HealthEvent,
  HealthEventBatch,
  HealthEventBatchResult,
  HealthEventInput,
  HealthEventList
} from '../../schemas/health-events.js'
import { ALL_CALLERS, IdempotencyHeaders, idParams, paginationQuery } from '../../schemas/common.js'
import { healthStatus, name, timestamp } from '../../schemas/fields.js'
import { OrganizationFilter } from '../../schemas/components.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import {
  getHealthEvent,
  pageHealthEvents,
  recordHealthEvent,
  recordHealthEventBatch
} from '../../services/health-events.js'
import { healthEventGroups } from '../../services/health-event-groups.js'
import { callerOf } from '../caller.js'
import { idempotencyOf } from '../idempotency.js'
import { countRefusedEvents } from '../../telemetry.js'

const tags = ['health events']

// Ingest refused as invalid (400 naming the field, 422): counted per event, a refused batch as
// all of its events, so the refusal rate compares with the rate of events stored.
async function countRefusals(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (reply.statusCode !== 400 && reply.statusCode !== 422) return
  const events = (request.body as { events?: unknown } | null | undefined)?.events
  countRefusedEvents('invalid', Array.isArray(events) ? events.length : 1)
}

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const storeHealthEvent = healthEventGroups(app.db, { commitWaitMs: config.eventCommitWaitMs })
  app.post(
    '/health-events',
    {
      config: { allow: ['service'] },
      onResponse: countRefusals,
      schema: {
        operationId: 'createHealthEvent',
        tags,
        summary: 'Store one health event',
        description:
          'For Core314 services (service role). `user_id` and `organization_id` name whom the event belongs to. Its event time is `measurement_window_end`, else its arrival; a `measurement_window_end` older than EVENT_MAX_LATENESS_MINUTES (7 days) or further ahead than EVENT_MAX_FUTURE_SKEW_SECONDS (300) is refused with 400 naming the field and the bound.',
        headers: IdempotencyHeaders,
        body: ref(HealthEventInput),
        response: { 201: ref(HealthEvent, 'The stored event'), ...problems(400, 401, 403, 422, 429) }
      }
    },
    async (request, reply) => {
      const result = await recordHealthEvent(
        app.db,
        storeHealthEvent,
        callerOf(request),
        request.body,
        idempotencyOf(request),
        config.eventTime
      )
      return await reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.body)
    }
  )

  app.post(
    '/health-events/batch',
    {
      config: { allow: ['service'] },
      onResponse: countRefusals,
      schema: {
        operationId: 'createHealthEventBatch',
        tags,
        summary: 'Store up to 1000 health events, all or none',
        description:
          'One statement: if any event is invalid the response is 400 naming it (`/body/events/<index>/<field>`) and nothing is stored. Events may come in any order and late (history imported to warm baselines, an agent that buffered): each is judged at its event time, `measurement_window_end`, within the lateness bounds of the single POST.',
        headers: IdempotencyHeaders,
        body: ref(HealthEventBatch),
        response: {
          201: ref(HealthEventBatchResult, 'How many were stored, and their ids in input order'),
          ...problems(400, 401, 403, 413, 422, 429)
        }
      }
    },
    async (request, reply) => {
      const result = await recordHealthEventBatch(
        app.db,
        callerOf(request),
        request.body.events,
        idempotencyOf(request),
        config.eventTime
      )
      return await reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.body)
    }
  )

  app.get(
    '/health-events',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listHealthEvents',
        tags,
        summary: 'List health events, newest first by event time',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. Filters combine; pages follow `next_cursor`. Ordered by event time (when each event was measured: `measurement_window_end`, else its arrival), newest first; `since`, `until` and the cursor are on event time too, so a backfilled or late event appears where its measurement belongs.',
        querystring: Type.Object(
          {
            ...paginationQuery,
            component_type: Type.Optional(name(100, { description: 'Only events of components of this type' })),
            component_name: Type.Optional(name(200, { description: 'Only events of the component of this name' })),
            organization_id: OrganizationFilter,
            status: Type.Optional(healthStatus()),
            environment: Type.Optional(name(50, { description: 'Only events reported from this environment' })),
            since: Type.Optional(timestamp({ description: 'Event time at or after' })),
            until: Type.Optional(timestamp({ description: 'Event time before' }))
          },
          { additionalProperties: false }
        ),
        response: {
          200: ref(HealthEventList, 'A page of events, newest first by event time'),
          ...problems(400, 401, 429)
        }
      }
    },
    async request => {
      const { limit, cursor, ...filters } = request.query
      return await pageHealthEvents(app.db, callerOf(request), filters, cursor, limit)
    }
  )

  app.get(
    '/health-events/:id',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getHealthEvent',
        tags,
        summary: 'One health event',
        description:
          'Every caller; row-level security shows each caller only the rows it may see. An event the caller may not see is 404.',
        params: idParams('the health event'),
        response: { 200: ref(HealthEvent, 'The event'), ...problems(400, 401, 404, 429) }
      }
    },
    async request => await getHealthEvent(app.db, callerOf(request), request.params.id)
  )
}

export default routes
