// /v1/circuit-breakers: the breakers the circuit_breaker action opens, for callers deciding
// whether to send a component traffic.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ComponentName } from '../../schemas/components.js'
import { ALL_CALLERS } from '../../schemas/common.js'
import { problems } from '../../schemas/problem.js'
import { ref } from '../../schemas/ref.js'
import { CircuitBreaker } from '../../schemas/self-healing.js'
import { getCircuitBreaker, listCircuitBreakers } from '../../services/circuit-breakers.js'
import { callerOf } from '../caller.js'

const tags = ['self-healing']

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/circuit-breakers', {
    config: { allow: [...ALL_CALLERS] },
    schema: {
      tags,
      summary: 'Circuit breakers by component',
      querystring: Type.Object({ state: Type.Optional(Type.Enum(['closed', 'open', 'half_open'])) }, { additionalProperties: false }),
      response: { 200: Type.Array(ref(CircuitBreaker), { description: 'By component name' }), ...problems(400, 401, 429) }
    }
  }, async (request) => await listCircuitBreakers(app.db, callerOf(request), request.query.state))

  app.get('/circuit-breakers/:component_name', {
    config: { allow: [...ALL_CALLERS] },
    schema: {
      tags,
      summary: 'One component\'s circuit breaker: closed, open (until next_probe_at) or half_open',
      params: Type.Object({ component_name: ComponentName }),
      response: { 200: ref(CircuitBreaker, 'The breaker'), ...problems(400, 401, 404, 429) }
    }
  }, async (request) => await getCircuitBreaker(app.db, callerOf(request), request.params.component_name))
}

export default routes
