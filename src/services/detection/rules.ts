// The seed's detection rules (section 2.2) as data: which health-event columns are watched, the
// anomaly type each feeds, and its thresholds. Kept apart from the evaluation so a caller or a
// backtest can try other thresholds by passing settings. The thresholds' defaults are the
// DETECT_* variables' in src/config/schema.ts.
import { ENV_DEFAULTS } from '../../config/schema.js'

export type MetricName =
  'latency_ms' | 'error_rate' | 'cpu_usage_percent' | 'memory_usage_percent' | 'disk_usage_percent'
export type AnomalyType = 'latency_spike' | 'error_rate_increase' | 'resource_exhaustion'

export interface MetricRule {
  anomalyType: AnomalyType
  category: 'performance' | 'reliability' | 'resource'
  unit: string
  /** Fires when the value exceeds this multiple of the baseline; null: no relative rule. */
  baselineFactor: number | null
  /** Fires when the value exceeds this, whatever the baseline. */
  absoluteLimit: number
  /**
   * The least spread this metric's baseline may have, in its own unit; with a relative rule, less
   * on a small baseline (floorFor in baselines.ts).
   */
  spreadFloor: number
  /** The metric's ceiling (percentages), so severity can measure how much headroom is used. */
  ceiling: number | null
}

export type Rules = Record<MetricName, MetricRule>

export const METRICS: readonly MetricName[] = [
  'latency_ms',
  'error_rate',
  'cpu_usage_percent',
  'memory_usage_percent',
  'disk_usage_percent'
]

// `satisfies` keeps each metric's own shape, so a latency factor reads as a number, not number | null.
export const DEFAULT_RULES = Object.freeze({
  latency_ms: {
    anomalyType: 'latency_spike',
    category: 'performance',
    unit: ' ms',
    baselineFactor: ENV_DEFAULTS.DETECT_LATENCY_BASELINE_FACTOR,
    absoluteLimit: ENV_DEFAULTS.DETECT_LATENCY_LIMIT_MS,
    spreadFloor: 5,
    ceiling: null
  },
  error_rate: {
    anomalyType: 'error_rate_increase',
    category: 'reliability',
    unit: '%',
    baselineFactor: ENV_DEFAULTS.DETECT_ERROR_RATE_BASELINE_FACTOR,
    absoluteLimit: ENV_DEFAULTS.DETECT_ERROR_RATE_LIMIT_PERCENT,
    spreadFloor: 0.5,
    ceiling: 100
  },
  cpu_usage_percent: {
    anomalyType: 'resource_exhaustion',
    category: 'resource',
    unit: '%',
    baselineFactor: null,
    absoluteLimit: ENV_DEFAULTS.DETECT_CPU_LIMIT_PERCENT,
    spreadFloor: 2,
    ceiling: 100
  },
  memory_usage_percent: {
    anomalyType: 'resource_exhaustion',
    category: 'resource',
    unit: '%',
    baselineFactor: null,
    absoluteLimit: ENV_DEFAULTS.DETECT_MEMORY_LIMIT_PERCENT,
    spreadFloor: 2,
    ceiling: 100
  },
  disk_usage_percent: {
    anomalyType: 'resource_exhaustion',
    category: 'resource',
    unit: '%',
    baselineFactor: null,
    absoluteLimit: ENV_DEFAULTS.DETECT_DISK_LIMIT_PERCENT,
    spreadFloor: 1,
    ceiling: 100
  }
} satisfies Rules)

export interface RuleHit {
  /** The threshold the value crossed: the lower of the applicable ones. */
  threshold: number
  /** Which rules it crossed, for detection_algorithm. */
  names: string[]
  /** The absolute limit is among them: a breach whatever the metric's history says. */
  absolute: boolean
}

/**
 * Whether `value` breaks the metric's rules. The relative rule needs a warm baseline and a rise
 * of at least `minZ` spreads, so a metric whose ordinary noise already doubles it does not page;
 * the absolute limit stands on its own, warm-up or not.
 */
export function ruleHit(
  rule: MetricRule,
  value: number,
  baseline: { value: number; spread: number } | null,
  minZ: number
): RuleHit | null {
  const relative =
    rule.baselineFactor !== null &&
    baseline !== null &&
    baseline.value > 0 &&
    value > rule.baselineFactor * baseline.value &&
    value - baseline.value >= minZ * baseline.spread
  const absolute = value > rule.absoluteLimit
  // Most values break nothing: they are answered without building a hit.
  if (!relative && !absolute) return null
  const names: string[] = []
  const thresholds: number[] = []
  if (relative) {
    names.push(`${rule.baselineFactor as number}x_baseline`)
    thresholds.push((rule.baselineFactor as number) * (baseline as { value: number }).value)
  }
  if (absolute) {
    names.push(`absolute_limit_${rule.absoluteLimit}`)
    thresholds.push(rule.absoluteLimit)
  }
  return { threshold: Math.min(...thresholds), names, absolute }
}

export function mergeRules(overrides: Partial<Record<MetricName, Partial<MetricRule>>> = {}): Rules {
  const merged: Rules = { ...DEFAULT_RULES }
  for (const metric of METRICS) merged[metric] = { ...DEFAULT_RULES[metric], ...overrides[metric] }
  return merged
}
