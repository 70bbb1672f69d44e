// /v1/decisions: the audit trail of decision_audit_log, read under RLS: what the monitor, the
// detector, the healing engine and admins decided, about what and why.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { snakeName } from '../../schemas/anomalies.js'
import { ALL_CALLERS, idParams, paginationQuery } from '../../schemas/common.js'
import { Decision, DecisionList } from '../../schemas/decisions.js'
import { name, timestamp, uuid } from '../../schemas/fields.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { getDecision, pageDecisions } from '../../services/decisions.js'
import { callerOf } from '../caller.js'

const tags = ['decisions']

const routes: FastifyPluginAsyncTypebox = async app => {
  app.get(
    '/decisions',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'listDecisions',
        summary: 'List audit trail entries, newest first',
        description: 'Users see the entries about their own rows, admins and services all.',
        querystring: Type.Object(
          {
            ...paginationQuery,
            subject_type: Type.Optional(snakeName({ description: 'recovery_action, anomaly, ...' })),
            subject_id: Type.Optional(uuid({ description: 'Only entries about the row with this id' })),
            component: Type.Optional(name(100, { description: 'self-healing-engine, detector, monitor' })),
            decision_type: Type.Optional(snakeName({ description: 'Only entries of this decision type' })),
            since: Type.Optional(timestamp({ description: 'Created at or after' })),
            until: Type.Optional(timestamp({ description: 'Created before' }))
          },
          { additionalProperties: false }
        ),
        response: { 200: ref(DecisionList, 'A page of entries'), ...problems(400, 401, 429) }
      }
    },
    async request => {
      const { limit, cursor, ...filters } = request.query
      return await pageDecisions(app.db, callerOf(request), filters, cursor, limit)
    }
  )

  app.get(
    '/decisions/:id',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        tags,
        operationId: 'getDecision',
        summary: 'One audit trail entry',
        description:
          'Users see the entries about their own rows, admins and services all; an entry the caller may not see is 404.',
        params: idParams('the audit trail entry'),
        response: { 200: ref(Decision, 'The entry'), ...problems(400, 401, 404, 429) }
      }
    },
    async request => await getDecision(app.db, callerOf(request), request.params.id)
  )
}

export default routes
