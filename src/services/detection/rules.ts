// The seed's detection rules (section 2.2) as data: which health-event columns are watched, which
// way, the anomaly type each feeds, and its thresholds. A metric is watched by one rule per
// direction that is trouble: traffic by two (it stops, or it floods in), latency and CPU by two
// (a rise, and a collapse: requests failing fast, a component that stopped working). A collapse
// has no threshold of its own, since faster or idler is usually good news: only the metric's
// adaptive score, with the value adaptiveMinZ spreads below its baseline, opens one. Kept apart
// from the evaluation so a caller or a backtest can try other thresholds by passing settings. The
// thresholds' defaults are the DETECT_* variables' in src/config/schema.ts.
import { ENV_DEFAULTS } from '../../config/schema.js'

export type MetricName =
  | 'latency_ms'
  | 'error_rate'
  | 'cpu_usage_percent'
  | 'memory_usage_percent'
  | 'disk_usage_percent'
  | 'throughput_per_minute'
export type AnomalyType =
  | 'latency_spike'
  | 'latency_drop'
  | 'error_rate_increase'
  | 'resource_exhaustion'
  | 'cpu_drop'
  | 'traffic_drop'
  | 'traffic_surge'

/** A rule's name: its metric's for a rise (traffic's `throughput_surge`), a short name and `_drop` for a fall. */
export type RuleName =
  Exclude<MetricName, 'throughput_per_minute'> | 'latency_drop' | 'cpu_drop' | 'throughput_drop' | 'throughput_surge'

export interface MetricRule {
  /** The health-event column it reads. */
  metric: MetricName
  anomalyType: AnomalyType
  category: 'performance' | 'reliability' | 'resource'
  unit: string
  /**
   * Which way is trouble: `up` for latency, errors, resources and a traffic surge, `down` for a
   * traffic drop (a service that stops receiving requests is as broken as one that fails them).
   * Every test of a value (rules, spreads, peaks, patterns, severity) reads it in this direction.
   */
  direction: 'up' | 'down'
  /**
   * Fires when the value exceeds this multiple of the baseline (`down`: falls below the baseline
   * divided by it); null: no relative rule.
   */
  baselineFactor: number | null
  /** Fires when the value exceeds this (`down`: falls below it), whatever the baseline; null: none. */
  absoluteLimit: number | null
  /**
   * The least spread this metric's baseline may have, in its own unit; with a relative rule, less
   * on a small baseline (floorFor in baselines.ts).
   */
  spreadFloor: number
  /** The metric's ceiling (percentages), so severity can measure how much headroom is used. */
  ceiling: number | null
}

export type Rules = Record<RuleName, MetricRule>

export const METRICS: readonly MetricName[] = [
  'latency_ms',
  'error_rate',
  'cpu_usage_percent',
  'memory_usage_percent',
  'disk_usage_percent',
  'throughput_per_minute'
]

export const RULE_NAMES: readonly RuleName[] = [
  'latency_ms',
  'error_rate',
  'cpu_usage_percent',
  'memory_usage_percent',
  'disk_usage_percent',
  'latency_drop',
  'cpu_drop',
  'throughput_drop',
  'throughput_surge'
]

// `satisfies` keeps each metric's own shape, so a latency factor reads as a number, not number | null.
export const DEFAULT_RULES = Object.freeze({
  latency_ms: {
    metric: 'latency_ms',
    anomalyType: 'latency_spike',
    category: 'performance',
    unit: ' ms',
    direction: 'up',
    baselineFactor: ENV_DEFAULTS.DETECT_LATENCY_BASELINE_FACTOR,
    absoluteLimit: ENV_DEFAULTS.DETECT_LATENCY_LIMIT_MS,
    spreadFloor: 5,
    ceiling: null
  },
  error_rate: {
    metric: 'error_rate',
    anomalyType: 'error_rate_increase',
    category: 'reliability',
    unit: '%',
    direction: 'up',
    baselineFactor: ENV_DEFAULTS.DETECT_ERROR_RATE_BASELINE_FACTOR,
    absoluteLimit: ENV_DEFAULTS.DETECT_ERROR_RATE_LIMIT_PERCENT,
    spreadFloor: 0.5,
    ceiling: 100
  },
  cpu_usage_percent: {
    metric: 'cpu_usage_percent',
    anomalyType: 'resource_exhaustion',
    category: 'resource',
    unit: '%',
    direction: 'up',
    baselineFactor: null,
    absoluteLimit: ENV_DEFAULTS.DETECT_CPU_LIMIT_PERCENT,
    spreadFloor: 2,
    ceiling: 100
  },
  memory_usage_percent: {
    metric: 'memory_usage_percent',
    anomalyType: 'resource_exhaustion',
    category: 'resource',
    unit: '%',
    direction: 'up',
    baselineFactor: null,
    absoluteLimit: ENV_DEFAULTS.DETECT_MEMORY_LIMIT_PERCENT,
    spreadFloor: 2,
    ceiling: 100
  },
  disk_usage_percent: {
    metric: 'disk_usage_percent',
    anomalyType: 'resource_exhaustion',
    category: 'resource',
    unit: '%',
    direction: 'up',
    baselineFactor: null,
    absoluteLimit: ENV_DEFAULTS.DETECT_DISK_LIMIT_PERCENT,
    spreadFloor: 1,
    ceiling: 100
  },
  // Through the API on NAB's series sent as latency, the collapse found 6 more of 86 labelled
  // windows (most of them drops in realTraffic) for 8 more signals outside them; sent as CPU, 8
  // more of 43 for 6 more (docs/detection.md).
  latency_drop: {
    metric: 'latency_ms',
    anomalyType: 'latency_drop',
    category: 'reliability',
    unit: ' ms',
    direction: 'down',
    baselineFactor: null,
    absoluteLimit: null,
    spreadFloor: 5,
    ceiling: null
  },
  cpu_drop: {
    metric: 'cpu_usage_percent',
    anomalyType: 'cpu_drop',
    category: 'reliability',
    unit: '%',
    direction: 'down',
    baselineFactor: null,
    absoluteLimit: null,
    spreadFloor: 2,
    ceiling: null
  },
  throughput_drop: {
    metric: 'throughput_per_minute',
    anomalyType: 'traffic_drop',
    category: 'reliability',
    unit: '/min',
    direction: 'down',
    baselineFactor: ENV_DEFAULTS.DETECT_THROUGHPUT_DROP_FACTOR,
    absoluteLimit: null,
    spreadFloor: 1,
    ceiling: null
  },
  throughput_surge: {
    metric: 'throughput_per_minute',
    anomalyType: 'traffic_surge',
    category: 'performance',
    unit: '/min',
    direction: 'up',
    baselineFactor: ENV_DEFAULTS.DETECT_THROUGHPUT_SURGE_FACTOR,
    absoluteLimit: null,
    spreadFloor: 1,
    ceiling: null
  }
} satisfies Rules)

export interface RuleHit {
  /** The threshold the value crossed: the first of the applicable ones on its way. */
  threshold: number
  /** Which rules it crossed, for detection_algorithm. */
  names: string[]
  /** The absolute limit is among them: a breach whatever the metric's history says. */
  absolute: boolean
}

/** `value` read in the direction of trouble: larger is worse for every metric. */
export function worseness(rule: Pick<MetricRule, 'direction'>, value: number): number {
  return rule.direction === 'up' ? value : -value
}

/** The relative rule's threshold around `baseline`: its multiple, or for a drop its fraction. */
function relativeThreshold(rule: MetricRule, factor: number, baseline: number): number {
  return rule.direction === 'up' ? factor * baseline : baseline / factor
}

/** How the rule compares a value with its thresholds, for detection_algorithm: `>` or `<`. */
export function comparator(rule: MetricRule): '>' | '<' {
  return rule.direction === 'up' ? '>' : '<'
}

/**
 * Whether `value` breaks the metric's rules. The relative rule needs a warm baseline and a move
 * of at least `minZ` spreads, so a metric whose ordinary noise already doubles (or halves) it does
 * not page; the absolute limit stands on its own, warm-up or not.
 */
export function ruleHit(
  rule: MetricRule,
  value: number,
  baseline: { value: number; spread: number } | null,
  minZ: number
): RuleHit | null {
  const worse = worseness(rule, value)
  const relative =
    rule.baselineFactor !== null &&
    baseline !== null &&
    baseline.value > 0 &&
    worse > worseness(rule, relativeThreshold(rule, rule.baselineFactor, baseline.value)) &&
    worse - worseness(rule, baseline.value) >= minZ * baseline.spread
  const absolute = rule.absoluteLimit !== null && worse > worseness(rule, rule.absoluteLimit)
  // Most values break nothing: they are answered without building a hit.
  if (!relative && !absolute) return null
  const names: string[] = []
  const thresholds: number[] = []
  if (relative) {
    const factor = rule.baselineFactor as number
    names.push(rule.direction === 'up' ? `${factor}x_baseline` : `baseline/${factor}`)
    thresholds.push(relativeThreshold(rule, factor, (baseline as { value: number }).value))
  }
  if (absolute) {
    names.push(`absolute_limit_${rule.absoluteLimit as number}`)
    thresholds.push(rule.absoluteLimit as number)
  }
  // The first threshold crossed on the way: the lower for a rise, the higher for a drop.
  const threshold = rule.direction === 'up' ? Math.min(...thresholds) : Math.max(...thresholds)
  return { threshold, names, absolute }
}

export type RuleOverrides = Partial<Record<RuleName, Partial<Omit<MetricRule, 'metric'>>>>

export function mergeRules(overrides: RuleOverrides = {}): Rules {
  const merged: Rules = { ...DEFAULT_RULES }
  for (const name of RULE_NAMES) merged[name] = { ...DEFAULT_RULES[name], ...overrides[name] }
  return merged
}
