// How an executor reaches a component (its webhook, its Redis, its database). An executor lists
// the ways it can act in order of preference; the first one the target has is used.
import type { ComponentTarget, ExecutionRequest, ExecutionResult } from './types.js'

export interface Refusal {
  errorCode: string
  error: string
}

export interface Mechanism {
  /** Recorded in results as `via`. */
  name: string
  /** The target fields it needs, named in the NO_TARGET error. */
  needs: string[]
  applies(target: ComponentTarget): boolean
  /** Why this target must not be acted on; checked before anything is done, dry runs included. */
  refuse(target: ComponentTarget, request: ExecutionRequest): Refusal | undefined
  /** What it would do, for a dry run. */
  describe(target: ComponentTarget, request: ExecutionRequest): string
  perform(target: ComponentTarget, request: ExecutionRequest): Promise<ExecutionResult>
}

/** Whether a registered target URL parses and uses one of the protocols its client speaks. */
export function isUrlWith(url: string | undefined, protocols: string[]): boolean {
  return url !== undefined && URL.canParse(url) && protocols.includes(new URL(url).protocol)
}
