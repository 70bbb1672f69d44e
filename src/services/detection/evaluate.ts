// Judges one metric of one component at one moment, by one of its rules: the baseline from the
// history before the window, the rule and the adaptive score on each window point, and for a
// breach its pattern, severity and confidence. It also says when the metric last looked abnormal, which is what
// auto-resolution waits on. Pure computation: the detector feeds it rows and stores the result.
import { median, robustBaseline, type Baseline, type Point, type Points, type RolledHour } from './baselines.js'
import { recognisePattern, type Pattern } from './patterns.js'
import {
  comparator,
  ruleHit,
  worseness,
  type MetricName,
  type MetricRule,
  type RuleHit,
  type RuleName
} from './rules.js'
import { confidenceOf, severityOf, type Severity } from './severity.js'
import type { DetectorSettings } from './settings.js'
import { DEFAULT_PARAMS } from '../../lib/anomaly/adaptive-scorer.js'

// The scorer's scores mean nothing before it has seen this many points (they are 0 then).
const SCORER_WARMUP = DEFAULT_PARAMS.warmup

export interface SeriesPoint extends Point {
  /** The health event the value came from. */
  id: string
}

export interface Finding {
  metric: MetricName
  rule: MetricRule
  baseline: Baseline | null
  peak: SeriesPoint
  hit: RuleHit | null
  z: number | null
  adaptiveScore: number | null
  pattern: Pattern
  severity: Severity
  confidence: number
  lastBreachAt: number
  /** Which tests fired, for detection_algorithm. */
  algorithms: string[]
  window: SeriesPoint[]
}

export interface MetricEvaluation {
  finding: Finding | null
  /** Newest point of the metric, if any. */
  newestAt: number | null
  /** Newest point (history or window) that broke a rule or stood adaptiveMinZ spreads high; found only when `ongoing`. */
  lastAbnormalAt: number | null
  /**
   * The metric stands out and needs the adaptive score of its window points, which its stored
   * scorer state gives (scorer-state.ts): judge it again with `adaptiveScores`. `finding` is null
   * meanwhile.
   */
  needsAdaptiveScores?: boolean
}

export interface MetricInput {
  /** The rule judging it; its metric names the series. */
  rule: RuleName
  /** The metric's raw points before the window, time-ordered: all of them, or those after `rolled`. */
  history: Points
  /** The older history, rolled up into hours, oldest first. */
  rolled?: RolledHour[] | undefined
  /** The adaptive score of each window point, from the metric's scorer state. */
  adaptiveScores?: number[] | undefined
  /** Its points in the window, up to the evaluation time, time-ordered. */
  window: SeriesPoint[]
  windowStart: number
  at: number
  /** The rule's signal is active on this metric: an adaptive episode may be running, and it may recover. */
  ongoing: boolean
}

// The sampling interval: the median of the last 50 gaps between points, window and history alike.
function intervalOf(history: Points, window: Point[]): number {
  const times = [...history.t.subarray(-51), ...window.map(point => point.t)].slice(-51)
  if (times.length < 2) return 60_000
  const gaps: number[] = []
  for (let i = 1; i < times.length; i++) gaps.push((times[i] as number) - (times[i - 1] as number))
  return Math.max(median(gaps), 1)
}

/** How many spreads `value` stands from the baseline in the direction of trouble. */
function zOf(rule: MetricRule, value: number, baseline: Baseline | null): number | null {
  return baseline === null ? null : (worseness(rule, value) - worseness(rule, baseline.value)) / baseline.spread
}

/**
 * How many spreads a relative rule's breach must also move. Once the metric's scorer is warm and
 * confirms every relative breach (ruleConfirmScore), the scorer, which knows the metric's noise
 * and its daily cycle, is the test of noise, and a spread taken over a whole day of a cycling
 * metric (traffic at a sixth of its peak every night) would hide an outage at the peak.
 */
function ruleMinZ(baseline: Baseline | null, settings: DetectorSettings): number {
  return settings.ruleConfirmScore > 0 && (baseline?.points ?? 0) > SCORER_WARMUP ? 0 : settings.ruleMinZ
}

function abnormal(
  value: number,
  rule: MetricRule,
  baseline: Baseline | null,
  minZ: number,
  settings: DetectorSettings
): boolean {
  return ruleHit(rule, value, baseline, minZ) !== null || (zOf(rule, value, baseline) ?? 0) >= settings.adaptiveMinZ
}

/**
 * The newest point, window first, that looked abnormal against `baseline`. In a rolled-up hour
 * only its extremes are known, so an hour whose worst value looked abnormal answers with its last event:
 * never earlier than the truth, so a signal never resolves early. The detector reads raw events
 * for at least the longest recovery hold, so only a component that went silent can notice.
 */
function lastAbnormal(
  history: Points,
  rolled: RolledHour[],
  window: Point[],
  rule: MetricRule,
  baseline: Baseline | null,
  settings: DetectorSettings
): number | null {
  const minZ = ruleMinZ(baseline, settings)
  for (let i = window.length - 1; i >= 0; i--) {
    const point = window[i] as Point
    if (abnormal(point.v, rule, baseline, minZ, settings)) return point.t
  }
  for (let i = history.v.length - 1; i >= 0; i--) {
    if (abnormal(history.v[i] as number, rule, baseline, minZ, settings)) return history.t[i] as number
  }
  for (let i = rolled.length - 1; i >= 0; i--) {
    const hour = rolled[i] as RolledHour
    const worst = rule.direction === 'up' ? hour.knots[hour.knots.length - 1] : hour.knots[0]
    if (abnormal(worst as number, rule, baseline, minZ, settings)) return hour.lastAt
  }
  return null
}

export function evaluateMetric(input: MetricInput, settings: DetectorSettings): MetricEvaluation {
  const rule = settings.rules[input.rule]
  const { history, window } = input
  const rolled = input.rolled ?? []
  const newestAt = window.at(-1)?.t ?? history.t.at(-1) ?? rolled.at(-1)?.lastAt ?? null
  const baseline = robustBaseline(history, (input.windowStart + input.at) / 2, rule, settings, rolled)
  // Only an open signal's recovery needs it, and it is the one scan over the whole history.
  const lastAbnormalAt = input.ongoing ? lastAbnormal(history, rolled, window, rule, baseline, settings) : null

  const minZ = ruleMinZ(baseline, settings)
  const hits = window.map(point => ruleHit(rule, point.v, baseline, minZ))
  const zs = window.map(point => zOf(rule, point.v, baseline))
  // Nothing breaks a rule or stands adaptiveMinZ spreads high: no point can breach, and the
  // adaptive scorer, the costly part, need not run. This is the path almost every metric takes.
  if (!hits.some(hit => hit !== null) && !zs.some(z => (z ?? 0) >= settings.adaptiveMinZ))
    return { finding: null, newestAt, lastAbnormalAt }
  if (baseline !== null && input.adaptiveScores === undefined)
    return { finding: null, newestAt, lastAbnormalAt, needsAdaptiveScores: true }
  const scores = baseline === null ? null : (input.adaptiveScores ?? null)
  // An adaptive episode starts where the score fires on a point high enough, and lasts while the
  // points stay that high: the scorer damps itself after a detection, the incident does not end.
  let episode = input.ongoing
  const adaptiveBreach = window.map((point, i) => {
    const high = (zs[i] ?? 0) >= settings.adaptiveMinZ
    episode = high && (episode || (scores !== null && (scores[i] as number) >= settings.adaptiveScoreThreshold))
    return episode
  })
  const breaching = window.map((_, i) => hits[i] !== null || adaptiveBreach[i] === true)
  if (!breaching.includes(true)) return { finding: null, newestAt, lastAbnormalAt }
  // "Twice the baseline" is ordinary for a bursty metric: a relative rule alone opens a signal
  // only where the metric's own scorer, which knows its noise, finds the point unusual too. Once
  // a signal is open, every breach counts towards its pattern as before.
  const confirming = settings.ruleConfirmScore > 0 && scores !== null && (baseline?.points ?? 0) > SCORER_WARMUP
  const opens = (i: number): boolean =>
    adaptiveBreach[i] === true ||
    hits[i]?.absolute === true ||
    (hits[i] !== null && (!confirming || (scores?.[i] ?? 0) >= settings.ruleConfirmScore))
  if (!input.ongoing && !window.some((_, i) => opens(i))) return { finding: null, newestAt, lastAbnormalAt }

  let peakIndex = breaching.indexOf(true)
  breaching.forEach((breach, i) => {
    if (breach && worseness(rule, (window[i] as Point).v) > worseness(rule, (window[peakIndex] as Point).v))
      peakIndex = i
  })
  const peak = window[peakIndex] as SeriesPoint
  const hit = hits[peakIndex] ?? null
  const z = zs[peakIndex] ?? null
  const adaptiveScore = scores === null ? null : Math.max(...scores)
  const pattern = recognisePattern(window, breaching, intervalOf(history, window), rule, settings)
  const strength = { peak: peak.v, hit, z, adaptiveScore, historyPoints: baseline?.points ?? 0 }
  const algorithms = [
    ...(hit?.names ?? []).map(name => `rule:${rule.metric}${comparator(rule)}${name}`),
    ...(adaptiveBreach.includes(true)
      ? [`adaptive_likelihood>=${settings.adaptiveScoreThreshold}&z>=${settings.adaptiveMinZ}`]
      : [])
  ]
  const lastBreachAt = (window[breaching.lastIndexOf(true)] as Point).t
  return {
    finding: {
      metric: rule.metric,
      rule,
      baseline,
      peak,
      hit,
      z,
      adaptiveScore,
      pattern,
      severity: severityOf(rule, strength, pattern),
      confidence: confidenceOf(rule, strength, pattern, settings.minHistoryPoints),
      lastBreachAt,
      algorithms,
      window
    },
    newestAt,
    lastAbnormalAt
  }
}
