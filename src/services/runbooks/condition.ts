// A step's verification: a metric of the component's newest health event, measured after the
// step's wait, against a bound. It passes as soon as such an event meets the bound, and fails
// once the window (`within`) has passed without one; until then it is undecided.
import type { HealthSnapshotRow } from '../../db/component-health.js'
import type { RunbookVerifyValue } from '../../schemas/runbooks.js'
import { durationSeconds } from './durations.js'

export interface VerificationResult extends Record<string, unknown> {
  metric: string
  condition: string
  within_seconds: number
  observed: number | null
  event_time: string | null
  passed: boolean
  reason: string
}

export function conditionText(verify: RunbookVerifyValue): string {
  return verify.below === undefined ? `above ${String(verify.above)}` : `below ${verify.below}`
}

function holds(verify: RunbookVerifyValue, value: number): boolean {
  return verify.below === undefined ? value > (verify.above as number) : value < verify.below
}

/** The verification against the newest event since the wait ended (undefined: none yet). */
export function evaluate(verify: RunbookVerifyValue, event: HealthSnapshotRow | undefined): VerificationResult {
  const base = {
    metric: verify.metric,
    condition: conditionText(verify),
    within_seconds: durationSeconds(verify.within)
  }
  if (event === undefined)
    return { ...base, observed: null, event_time: null, passed: false, reason: 'no health event measured yet' }
  const observed = event[verify.metric]
  if (observed === null)
    return {
      ...base,
      observed: null,
      event_time: event.event_time,
      passed: false,
      reason: `the event has no ${verify.metric}`
    }
  const passed = holds(verify, observed)
  return {
    ...base,
    observed,
    event_time: event.event_time,
    passed,
    reason: `${verify.metric} was ${observed}, ${passed ? '' : 'not '}${base.condition}`
  }
}
