// /v1/circuit-breakers: the breakers the circuit_breaker action opens, for callers deciding
// whether to send a component traffic.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ReportedComponentName, OrganizationQuery } from '../../schemas/components.js'
import { ALL_CALLERS } from '../../schemas/common.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { CircuitBreaker } from '../../schemas/self-healing.js'
import { getCircuitBreaker, listCircuitBreakers } from '../../services/circuit-breakers.js'
import { callerOf } from '../caller.js'

const tags = ['self-healing']

const routes: FastifyPluginAsyncTypebox = async app => {
  app.get(
    '/circuit-breakers',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'listCircuitBreakers',
        tags,
        summary: 'Circuit breakers by component',
        description:
          "A user sees their organization's; admins and the service role see every organization's unless they name one. `component_name` narrows to one component's (an empty list when it has none: never opened, so closed).",
        querystring: Type.Object(
          {
            state: Type.Optional(
              Type.Enum(['closed', 'open', 'half_open'], { description: 'Only breakers in this state' })
            ),
            component_name: Type.Optional(ReportedComponentName),
            organization_id: OrganizationQuery
          },
          { additionalProperties: false }
        ),
        response: {
          200: Type.Array(ref(CircuitBreaker), {
            description: "By organization (the platform's first), then component name"
          }),
          ...problems(400, 401, 429)
        }
      }
    },
    async request => await listCircuitBreakers(app.db, callerOf(request), request.query)
  )

  app.get(
    '/circuit-breakers/:component_name',
    {
      config: { allow: [...ALL_CALLERS] },
      schema: {
        operationId: 'getCircuitBreaker',
        tags,
        summary: "One component's circuit breaker: closed, open (until next_probe_at) or half_open",
        description: "Within the caller's organization, or the one named; the service role must name it.",
        params: Type.Object({ component_name: ReportedComponentName }),
        querystring: Type.Object({ organization_id: OrganizationQuery }, { additionalProperties: false }),
        response: { 200: ref(CircuitBreaker, 'The breaker'), ...problems(400, 401, 404, 429) }
      }
    },
    async request =>
      await getCircuitBreaker(app.db, callerOf(request), request.params.component_name, request.query.organization_id)
  )
}

export default routes
