// Judges one metric of one component at one moment: the baseline from the history before the
// window, the rules and the adaptive score on each window point, and for a breach its pattern,
// severity and confidence. It also says when the metric last looked abnormal, which is what
// auto-resolution waits on. Pure computation: the detector feeds it rows and stores the result.
import { adaptiveScores } from './adaptive.js'
import { median, robustBaseline, type Baseline, type Point } from './baselines.js'
import { recognisePattern, type Pattern } from './patterns.js'
import { ruleHit, type MetricName, type MetricRule, type RuleHit } from './rules.js'
import { confidenceOf, severityOf, type Severity } from './severity.js'
import type { DetectorSettings } from './settings.js'

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
}

export interface MetricInput {
  metric: MetricName
  /** Every point of the metric up to the evaluation time, time-ordered. */
  series: SeriesPoint[]
  windowStart: number
  at: number
  /** An active signal exists for this metric: an adaptive episode may be running, and it may recover. */
  ongoing: boolean
}

function intervalOf (series: Point[]): number {
  if (series.length < 2) return 60_000
  const gaps: number[] = []
  for (let i = Math.max(1, series.length - 50); i < series.length; i++) gaps.push((series[i] as Point).t - (series[i - 1] as Point).t)
  return Math.max(median(gaps), 1)
}

export function evaluateMetric (input: MetricInput, settings: DetectorSettings): MetricEvaluation {
  const rule = settings.rules[input.metric]
  const split = input.series.findIndex((point) => point.t >= input.windowStart)
  const history = split === -1 ? input.series : input.series.slice(0, split)
  const window = split === -1 ? [] : input.series.slice(split)
  const newestAt = input.series.at(-1)?.t ?? null
  const baseline = robustBaseline(history, (input.windowStart + input.at) / 2, rule, settings)
  const zOf = (value: number): number | null => baseline === null ? null : (value - baseline.value) / baseline.spread
  const abnormal = (value: number): boolean => ruleHit(rule, value, baseline, settings.ruleMinZ) !== null || (zOf(value) ?? 0) >= settings.adaptiveMinZ
  let lastAbnormalAt: number | null = null
  // Only an open signal's recovery needs it, and it is the one scan over the whole history.
  for (let i = input.ongoing ? input.series.length - 1 : -1; i >= 0; i--) {
    const point = input.series[i] as SeriesPoint
    if (abnormal(point.v)) {
      lastAbnormalAt = point.t
      break
    }
  }
  if (window.length === 0) return { finding: null, newestAt, lastAbnormalAt }

  const hits = window.map((point) => ruleHit(rule, point.v, baseline, settings.ruleMinZ))
  const zs = window.map((point) => zOf(point.v))
  const candidate = hits.some((hit) => hit !== null) || zs.some((z) => (z ?? 0) >= settings.adaptiveMinZ)
  // The scorer runs only where something stands out: a verdict needs the z gate or a rule anyway.
  const scores = baseline !== null && candidate ? adaptiveScores(history, window, settings) : null
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

  let peakIndex = breaching.indexOf(true)
  breaching.forEach((breach, i) => { if (breach && (window[i] as Point).v > (window[peakIndex] as Point).v) peakIndex = i })
  const peak = window[peakIndex] as SeriesPoint
  const hit = hits[peakIndex] ?? null
  const z = zs[peakIndex] ?? null
  const adaptiveScore = scores === null ? null : Math.max(...scores)
  const pattern = recognisePattern(window, breaching, intervalOf(input.series), settings)
  const strength = { peak: peak.v, hit, z, adaptiveScore, historyPoints: baseline?.points ?? 0 }
  const algorithms = [
    ...(hit?.names ?? []).map((name) => `rule:${input.metric}>${name}`),
    ...(adaptiveBreach.includes(true) ? [`adaptive_likelihood>=${settings.adaptiveScoreThreshold}&z>=${settings.adaptiveMinZ}`] : [])
  ]
  const lastBreachAt = (window[breaching.lastIndexOf(true)] as Point).t
  return {
    finding: {
      metric: input.metric,
      rule,
      baseline,
      peak,
      hit,
      z,
      adaptiveScore,
      pattern,
      severity: severityOf(rule, strength, pattern),
      confidence: confidenceOf(strength, pattern, settings.minHistoryPoints),
      lastBreachAt,
      algorithms,
      window
    },
    newestAt,
    lastAbnormalAt
  }
}
