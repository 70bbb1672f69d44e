// Builds an Executor from its parameters schema and the mechanisms it can act through, so the
// order that keeps actions safe lives in one place: parameters valid, a usable target, then a
// dry run stops short of any side effect, and only then does anything touch the component.
import type { TSchema } from 'typebox'
import type { Mechanism } from './mechanism.js'
import { parameterProblems } from './parameters.js'
import { failure, noTarget, simulation } from './results.js'
import type { ExecutionRequest, ExecutionResult, Executor } from './types.js'

export interface ExecutorSpec {
  type: string
  description: string
  configSchema: TSchema
  risky: boolean
  inverse?: string
  /** Rules across fields that the schema cannot say. */
  check?: (parameters: Record<string, unknown>) => string[]
  mechanisms: Mechanism[]
}

export function defineExecutor(spec: ExecutorSpec): Executor {
  const validate = (parameters: unknown): string[] => {
    const problems = parameterProblems(spec.configSchema, parameters)
    if (problems.length > 0 || spec.check === undefined) return problems
    return spec.check((parameters ?? {}) as Record<string, unknown>)
  }

  const execute = async (request: ExecutionRequest): Promise<ExecutionResult> => {
    const problems = validate(request.parameters)
    if (problems.length > 0) {
      return failure(
        'INVALID_PARAMETERS',
        `invalid parameters for ${spec.type}: ${problems.join('; ')}`,
        false,
        { problems },
        request.dryRun
      )
    }
    const target = request.target
    const mechanism = target === null ? undefined : spec.mechanisms.find(candidate => candidate.applies(target))
    if (target === null || mechanism === undefined)
      return noTarget(
        request,
        spec.mechanisms.map(m => m.needs)
      )
    const refusal = mechanism.refuse(target, request)
    if (refusal !== undefined) return failure(refusal.errorCode, refusal.error, false, {}, request.dryRun)
    if (request.dryRun)
      return simulation(`dry run: would ${mechanism.describe(target, request)}`, {
        via: mechanism.name,
        parameters: request.parameters
      })
    return await mechanism.perform(target, request)
  }

  return {
    type: spec.type,
    description: spec.description,
    configSchema: spec.configSchema,
    risky: spec.risky,
    ...(spec.inverse === undefined ? {} : { inverse: spec.inverse }),
    validate,
    execute
  }
}
