// Constructors for the results every executor returns, so failures carry the same fields
// everywhere and the engine can rely on errorCode and retryable.
import type { ExecutionRequest, ExecutionResult } from './types.js'

export function failure(
  errorCode: string,
  error: string,
  retryable: boolean,
  result: Record<string, unknown> = {},
  simulated = false
): ExecutionResult {
  return { success: false, simulated, output: error, result, errorCode, error, retryable }
}

export function simulation(output: string, result: Record<string, unknown>): ExecutionResult {
  return { success: true, simulated: true, output, result: { ...result, dry_run: true }, retryable: false }
}

export function noTarget(request: ExecutionRequest, options: string[][]): ExecutionResult {
  const needed = options.map(fields => fields.join(' + ')).join(', or ')
  return failure(
    'NO_TARGET',
    `component ${request.componentName} has no control target for ${request.actionType}: register ${needed} with PUT /v1/components/${request.componentName}`,
    false,
    {},
    request.dryRun
  )
}
