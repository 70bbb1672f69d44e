// The four 0-100 scores of a result (docs/self-tests.md: the formulas). Each is null when the
// run gives nothing to score it on, rather than a number that would look measured.
import type { Assertion } from './assertions.js'

export interface Tally {
  pass: number
  fail: number
  warn: number
  skip: number
}

export function tally(assertions: readonly Assertion[]): Tally {
  const counts: Tally = { pass: 0, fail: 0, warn: 0, skip: 0 }
  for (const assertion of assertions) counts[assertion.status] += 1
  return counts
}

const round = (value: number): number => Math.round(value * 100) / 100
const clamp = (value: number): number => Math.min(100, Math.max(0, value))

/** Passed assertions count whole, warnings half, failures nothing; skipped ones are not judged. */
function share(counts: Tally): number | null {
  const judged = counts.pass + counts.warn + counts.fail
  return judged === 0 ? null : round((100 * (counts.pass + 0.5 * counts.warn)) / judged)
}

/** A run that timed out or crashed proved nothing works: 0. */
export function healthScore(counts: Tally, finished: boolean): number | null {
  return finished ? share(counts) : 0
}

/** The same share over the assertions marked as security checks only. */
export function securityScore(assertions: readonly Assertion[]): number | null {
  return share(tally(assertions.filter(assertion => assertion.security === true)))
}

/** Failed judged assertions over judged assertions, as a percentage. */
export function errorRate(counts: Tally): number | null {
  const judged = counts.pass + counts.warn + counts.fail
  return judged === 0 ? null : round((100 * counts.fail) / judged)
}

/**
 * Against the baseline duration: 100 at or under it, 50 points off per baseline's worth
 * slower (0 at three times it). Without a baseline, the share of the time budget left.
 */
export function performanceScore(
  durationMs: number,
  baselineMs: number | null,
  timeoutMs: number,
  finished: boolean
): number {
  if (!finished) return 0
  if (baselineMs !== null && baselineMs > 0) return round(clamp(100 - 50 * (durationMs / baselineMs - 1)))
  return round(clamp(100 * (1 - durationMs / timeoutMs)))
}
