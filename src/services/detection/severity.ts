// Severity and confidence of a finding, from numbers a reader can check. Severity grows with how
// far past its threshold the peak went (for percentages near their ceiling: how much of the
// remaining headroom it used) and one step more when the breach persisted; confidence grows with
// the deviation in robust spreads, the adaptive score, the breach's persistence and how much
// history the baseline rests on.
import type { RuleHit, MetricRule } from './rules.js'
import { isPersistent, type Pattern } from './patterns.js'

export type Severity = 'low' | 'medium' | 'high' | 'critical'

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical']

export interface Strength {
  peak: number
  hit: RuleHit | null
  /** Deviation of the peak in robust spreads; null in warm-up. */
  z: number | null
  /** Highest adaptive score in the window; null when it was not computed. */
  adaptiveScore: number | null
  /** History points behind the baseline, 0 in warm-up. */
  historyPoints: number
}

/**
 * How many times past its threshold the peak went, 1 at the threshold: peak / threshold for a
 * rise, threshold / peak for a drop (infinite when traffic stopped altogether).
 */
function overshoot(rule: MetricRule, peak: number, threshold: number): number {
  return rule.direction === 'up' ? peak / threshold : peak > 0 ? threshold / peak : Infinity
}

function sizeLevel(rule: MetricRule, strength: Strength): number {
  const { hit, peak } = strength
  if (hit === null) {
    // Only the adaptive score fired: no threshold says how bad it is, so it stops short of critical.
    const z = strength.z ?? 0
    return z < 6 ? 0 : z < 12 ? 1 : 2
  }
  if (rule.baselineFactor === null && rule.ceiling !== null) {
    const used = (peak - hit.threshold) / (rule.ceiling - hit.threshold)
    return used < 0.25 ? 0 : used < 0.5 ? 1 : used < 0.75 ? 2 : 3
  }
  const ratio = overshoot(rule, peak, hit.threshold)
  return ratio < 1.25 ? 0 : ratio < 1.5 ? 1 : ratio < 2 ? 2 : 3
}

export function severityOf(rule: MetricRule, strength: Strength, pattern: Pattern): Severity {
  return SEVERITIES[Math.min(sizeLevel(rule, strength) + (isPersistent(pattern) ? 1 : 0), 3)] as Severity
}

export function confidenceOf(rule: MetricRule, strength: Strength, pattern: Pattern, minHistoryPoints: number): number {
  const fromZ = strength.z === null ? 0 : 1 - Math.exp(-Math.max(strength.z, 0) / 4)
  const fromThreshold =
    strength.hit === null ? 0 : 1 - Math.exp(-5 * (overshoot(rule, strength.peak, strength.hit.threshold) - 1))
  const size = Math.max(fromZ, fromThreshold)
  const combined = 1 - (1 - size) * (1 - 0.5 * (strength.adaptiveScore ?? 0))
  const support = Math.min(1, strength.historyPoints / (2 * minHistoryPoints))
  const value = combined * (0.6 + 0.4 * pattern.persistence) * (0.5 + 0.5 * support)
  return Math.round(Math.min(Math.max(value, 0), 1) * 1000) / 1000
}

export function severityRank(severity: string): number {
  return SEVERITIES.indexOf(severity as Severity)
}
