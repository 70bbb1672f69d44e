// circuit_breaker: opens the component's breaker in the service's own database, where callers
// read it (GET /v1/circuit-breakers/{name}) before sending the component traffic. It needs no
// control target; the healing job moves it to half_open after the cooldown and closes it when
// the component reports healthy. Rolling it back closes it at once.
import Type from 'typebox'
import { SERVICE_CALLER } from '../../../db/caller.js'
import { closeBreaker, tripBreaker } from '../../../db/circuit-breakers.js'
import { parameterProblems } from './parameters.js'
import { failure, simulation } from './results.js'
import type { ExecutionRequest, ExecutionResult, Executor } from './types.js'

const DEFAULT_COOLDOWN_SECONDS = 60

const configSchema = Type.Object(
  {
    cooldown_seconds: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 86400,
        description: `How long the breaker stays open before a probe (default ${DEFAULT_COOLDOWN_SECONDS})`
      })
    ),
    reason: Type.Optional(Type.String({ maxLength: 500, description: 'Why, shown to callers reading the breaker' }))
  },
  { additionalProperties: false }
)

function validate(parameters: unknown): string[] {
  return parameterProblems(configSchema, parameters)
}

function refusal(request: ExecutionRequest): ExecutionResult | undefined {
  const problems = validate(request.parameters)
  if (problems.length > 0)
    return failure(
      'INVALID_PARAMETERS',
      `invalid parameters for circuit_breaker: ${problems.join('; ')}`,
      false,
      { problems },
      request.dryRun
    )
  if (request.db === undefined)
    return failure(
      'NO_DATABASE',
      'circuit_breaker keeps its state in the service database, which this request did not provide',
      false,
      {},
      request.dryRun
    )
  return undefined
}

async function execute(request: ExecutionRequest): Promise<ExecutionResult> {
  const refused = refusal(request)
  if (refused !== undefined) return refused
  const cooldownSeconds =
    typeof request.parameters.cooldown_seconds === 'number'
      ? request.parameters.cooldown_seconds
      : DEFAULT_COOLDOWN_SECONDS
  if (request.dryRun)
    return simulation(`dry run: would open the circuit breaker of ${request.componentName} for ${cooldownSeconds} s`, {
      via: 'circuit_breaker',
      cooldown_seconds: cooldownSeconds
    })
  const reason = typeof request.parameters.reason === 'string' ? request.parameters.reason : null
  const breaker = await (request.db as NonNullable<ExecutionRequest['db']>).asCaller(
    SERVICE_CALLER,
    async tx =>
      await tripBreaker(tx, {
        componentName: request.componentName,
        organizationId: request.organizationId,
        cooldownSeconds,
        reason,
        actionId: request.actionId
      })
  )
  return {
    success: true,
    simulated: false,
    output: `circuit breaker of ${request.componentName} opened; next probe at ${new Date(breaker.next_probe_at ?? Date.now()).toISOString()}`,
    result: {
      via: 'circuit_breaker',
      state: breaker.state,
      opened_at: breaker.opened_at,
      next_probe_at: breaker.next_probe_at,
      trip_count: breaker.trip_count
    },
    retryable: false
  }
}

async function rollback(request: ExecutionRequest): Promise<ExecutionResult> {
  const refused = refusal(request)
  if (refused !== undefined) return refused
  if (request.dryRun)
    return simulation(`dry run: would close the circuit breaker of ${request.componentName}`, {
      via: 'circuit_breaker'
    })
  const breaker = await (request.db as NonNullable<ExecutionRequest['db']>).asCaller(
    SERVICE_CALLER,
    async tx =>
      await closeBreaker(
        tx,
        { organizationId: request.organizationId, componentName: request.componentName },
        `closed by rollback action ${request.actionId}`
      )
  )
  if (breaker === undefined)
    return failure('NO_BREAKER', `${request.componentName} has no circuit breaker to close`, false)
  return {
    success: true,
    simulated: false,
    output: `circuit breaker of ${request.componentName} closed`,
    result: { via: 'circuit_breaker', state: breaker.state },
    retryable: false
  }
}

export const circuitBreaker: Executor = {
  type: 'circuit_breaker',
  description:
    "Opens the component's circuit breaker (read at GET /v1/circuit-breakers/{name}); half open after the cooldown, closed when the component reports healthy.",
  configSchema,
  risky: false,
  validate,
  execute,
  rollback
}
