// /v1/health-events: Core314 services push health events (one, or a batch stored all or
// none); every caller reads the events row-level security lets them see.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HealthEvent, HealthEventBatch, HealthEventBatchResult, HealthEventInput, HealthEventList } from '../../schemas/health-events.js'
import { ALL_CALLERS, IdempotencyHeaders, IdParams, paginationQuery } from '../../schemas/common.js'
import { healthStatus, name, timestamp } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { getHealthEvent, pageHealthEvents, recordHealthEvent, recordHealthEventBatch } from '../../services/health-events.js'
import { callerOf } from '../caller.js'
import { idempotencyOf } from '../idempotency.js'

const tags = ['health events']

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/health-events', {
    config: { allow: ['service'] },
    schema: {
      operationId: 'createHealthEvent',
      tags,
      summary: 'Store one health event',
      description: 'For Core314 services (service role). `user_id` and `organization_id` name whom the event belongs to.',
      headers: IdempotencyHeaders,
      body: ref(HealthEventInput),
      response: { 201: ref(HealthEvent, 'The stored event'), ...problems(400, 401, 403, 422, 429) }
    }
  }, async (request, reply) => {
    const result = await recordHealthEvent(app.db, callerOf(request), request.body, idempotencyOf(request))
    return await reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.body)
  })

  app.post('/health-events/batch', {
    config: { allow: ['service'] },
    schema: {
      operationId: 'createHealthEventBatch',
      tags,
      summary: 'Store up to 1000 health events, all or none',
      description: 'One statement: if any event is invalid the response is 400 naming it (`/body/events/<index>/<field>`) and nothing is stored.',
      headers: IdempotencyHeaders,
      body: ref(HealthEventBatch),
      response: { 201: ref(HealthEventBatchResult, 'How many were stored, and their ids in input order'), ...problems(400, 401, 403, 413, 422, 429) }
    }
  }, async (request, reply) => {
    const result = await recordHealthEventBatch(app.db, callerOf(request), request.body.events, idempotencyOf(request))
    return await reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.body)
  })

  app.get('/health-events', {
    config: { allow: [...ALL_CALLERS] },
    schema: {
      operationId: 'listHealthEvents',
      tags,
      summary: 'List health events, newest first',
      description: 'Every caller; row-level security shows each caller only the rows it may see. Filters combine; pages follow `next_cursor`.',
      querystring: Type.Object({
        ...paginationQuery,
        component_type: Type.Optional(name(100)),
        component_name: Type.Optional(name(200)),
        status: Type.Optional(healthStatus()),
        environment: Type.Optional(name(50)),
        since: Type.Optional(timestamp({ description: 'Created at or after' })),
        until: Type.Optional(timestamp({ description: 'Created before' }))
      }, { additionalProperties: false }),
      response: { 200: ref(HealthEventList, 'A page of events, newest first'), ...problems(400, 401, 429) }
    }
  }, async (request) => {
    const { limit, cursor, ...filters } = request.query
    return await pageHealthEvents(app.db, callerOf(request), filters, cursor, limit)
  })

  app.get('/health-events/:id', {
    config: { allow: [...ALL_CALLERS] },
    schema: {
      operationId: 'getHealthEvent',
      tags,
      summary: 'One health event',
      description: 'Every caller; row-level security shows each caller only the rows it may see. An event the caller may not see is 404.',
      params: IdParams,
      response: { 200: ref(HealthEvent, 'The event'), ...problems(400, 401, 404, 429) }
    }
  }, async (request) => await getHealthEvent(app.db, callerOf(request), request.params.id))
}

export default routes
