// /v1/escalations: what the engine handed to people, read under RLS and moved through
// open -> acknowledged -> resolved by its owner, an admin or a service.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { severity, snakeName } from '../../schemas/anomalies.js'
import { ALL_CALLERS, idParams, paginationQuery } from '../../schemas/common.js'
import { Escalation, EscalationList, escalationStatus } from '../../schemas/escalations.js'
import { timestamp } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { changeEscalation, getEscalation, pageEscalations } from '../../services/escalations.js'
import { callerOf } from '../caller.js'

const tags = ['escalations']

const routes: FastifyPluginAsyncTypebox = async app => {
  app.get(
    '/escalations',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'listEscalations',
        summary: 'List escalations, newest first',
        description: 'Users see the escalations of their own rows, admins and services all.',
        querystring: Type.Object(
          {
            ...paginationQuery,
            status: Type.Optional(escalationStatus({ description: 'Only escalations in this state' })),
            severity: Type.Optional(severity({ description: 'Only escalations of this severity' })),
            source_type: Type.Optional(snakeName({ description: 'recovery_action or anomaly' })),
            since: Type.Optional(timestamp({ description: 'Created at or after' }))
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(EscalationList, 'A page of escalations'), ...problems(400, 401, 429) }
      }
    },
    async request => {
      const { limit, cursor, ...filters } = request.query
      return await pageEscalations(app.db, callerOf(request), filters, cursor, limit)
    }
  )

  app.get(
    '/escalations/:id',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'getEscalation',
        summary: 'One escalation',
        description: 'With the notifications sent for it and the request that caused it, if one did.',
        params: idParams('the escalation'),
        response: { 200: ref(Escalation, 'The escalation'), ...problems(400, 401, 404, 429) }
      }
    },
    async request => await getEscalation(app.db, callerOf(request), request.params.id)
  )

  app.post(
    '/escalations/:id/acknowledge',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'acknowledgeEscalation',
        summary: 'Acknowledge an open escalation',
        description: 'Records who and when. Acknowledging it again returns it unchanged; a resolved escalation is 409.',
        params: idParams('the escalation'),
        response: { 200: ref(Escalation, 'The acknowledged escalation'), ...problems(400, 401, 404, 409, 429) }
      }
    },
    async request => await changeEscalation(app.db, callerOf(request), request.params.id, 'acknowledged')
  )

  app.post(
    '/escalations/:id/resolve',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'resolveEscalation',
        summary: 'Resolve an escalation',
        description:
          'From open or acknowledged; records who and when (and acknowledges it if nobody had). Resolving it again returns it unchanged.',
        params: idParams('the escalation'),
        response: { 200: ref(Escalation, 'The resolved escalation'), ...problems(400, 401, 404, 429) }
      }
    },
    async request => await changeEscalation(app.db, callerOf(request), request.params.id, 'resolved')
  )
}

export default routes
