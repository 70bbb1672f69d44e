// The health monitor's threshold vocabulary: the rules it classifies by, the levels each has,
// and the shape of a full set of thresholds and of a call's overrides. The defaults and their
// reasons are in src/services/monitor/thresholds.ts.

export type Level = 'degraded' | 'unhealthy' | 'critical'

export interface Levels {
  degraded: number
  unhealthy: number
  critical: number
}

/** 'high': bad at or above the limit (latency, error rate); 'low': bad at or below it (availability). */
export type Direction = 'high' | 'low'

export const RULES = {
  error_rate: 'high',
  latency_p95_ms: 'high',
  availability_percentage: 'low',
  integration_success_rate: 'low',
  cpu_usage_percent: 'high',
  memory_usage_percent: 'high',
  disk_usage_percent: 'high',
  db_connection_usage_percent: 'high',
  db_cache_hit_rate: 'low',
  db_deadlock_count: 'high',
  db_slow_query_count: 'high'
} as const satisfies Record<string, Direction>

export type RuleName = keyof typeof RULES

export interface Baseline {
  /** Latency p95 at or above factor x the component's usual p95 is at least degraded. */
  factor: number
  /** The usual p95 is the median of the component's last max_events events with a p95 ... */
  max_events: number
  /** ... within the last lookback_minutes, and counts only with at least min_events of them. */
  min_events: number
  lookback_minutes: number
  /** Below this p95 (ms) the baseline rule stays quiet: 4 ms against a usual 2 ms is noise. */
  floor_ms: number
}

export type Thresholds = Record<RuleName, Levels> & {
  baseline: Baseline
  /** The cache hit rate is judged only when the window read at least this many blocks. */
  db_cache_min_block_accesses: number
  /** A query running at least this long (ms) when the database is sampled counts as slow. */
  slow_query_ms: number
  /** Overall status: the worst status stands when at least this share (0-1) of the components with data is at it or worse; otherwise one level milder. */
  overall_worst_share: number
}

export type ThresholdOverrides = {
  [K in keyof Thresholds]?: Thresholds[K] extends number ? number : Partial<Thresholds[K]>
}
