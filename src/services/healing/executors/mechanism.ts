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

/**
 * Whether a registered target URL names one of the protocols its client speaks, for clients that
 * read their URLs themselves: a PostgreSQL URL may list several hosts (`h1:5432,h2:5433`), which
 * registration takes and postgres.js connects to, but which the WHATWG parser refuses.
 */
export function hasScheme(url: string | undefined, protocols: string[]): boolean {
  return (
    url !== undefined && url.includes('://') && protocols.includes(url.slice(0, url.indexOf(':') + 1).toLowerCase())
  )
}
