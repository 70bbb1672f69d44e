// A circuit breaker for the LLM endpoint. When it keeps failing, every detection run would
// otherwise spend its whole time budget waiting on it; after a run of failures the breaker stops
// calling for a cooldown, then lets a single probe through to see whether it has recovered.
// Time comes from an injected clock so tests move it instead of sleeping.

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold?: number
  cooldownMs?: number
}

export interface CircuitBreaker {
  /** True when a call may go out; in half-open, true for one probe at a time. */
  tryAcquire: () => boolean
  recordSuccess: () => void
  /** waitMs: how long the server asked us to stay away (a 429's Retry-After), if it said. */
  recordFailure: (waitMs?: number) => void
  state: () => BreakerState
}

// A server's Retry-After is honoured, but a wild one must not silence analysis for days.
const MAX_SERVER_WAIT_MS = 60 * 60 * 1000

export function createCircuitBreaker(options: BreakerOptions = {}, now: () => number = Date.now): CircuitBreaker {
  const threshold = options.failureThreshold ?? 3
  const cooldownMs = options.cooldownMs ?? 60_000
  let failures = 0
  let openUntil = 0
  let probing = false

  function state(): BreakerState {
    if (probing || (openUntil > 0 && now() >= openUntil)) return 'half_open'
    return openUntil > 0 ? 'open' : 'closed'
  }

  return {
    state,
    tryAcquire() {
      const current = state()
      if (current === 'closed') return true
      if (current === 'open' || probing) return false
      probing = true
      return true
    },
    recordSuccess() {
      failures = 0
      openUntil = 0
      probing = false
    },
    recordFailure(waitMs) {
      failures += 1
      const byCount = probing || failures >= threshold ? now() + cooldownMs : 0
      const byServer = waitMs === undefined ? 0 : now() + Math.min(waitMs, MAX_SERVER_WAIT_MS)
      probing = false
      openUntil = Math.max(openUntil, byCount, byServer)
    }
  }
}
