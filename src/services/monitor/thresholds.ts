// The health monitor's classification limits in one place. These defaults are what the cron
// job uses; a POST /v1/monitor/run body may override any of them for that call (`thresholds`),
// which is how an operator tries a stricter limit before changing it here. The numbers follow
// the seed where it gives one (detection: error rate > 5 %, latency > 2000 ms, CPU > 80 %,
// memory > 85 %, disk > 90 %, 2x baseline) and common SRE practice elsewhere. A limit that is
// reached counts as breached: error_rate 5 is unhealthy, availability 95 is unhealthy.

import type { ThresholdOverrides, Thresholds } from '../../schemas/monitor-thresholds.js'

export const DEFAULT_THRESHOLDS: Thresholds = {
  error_rate: { degraded: 1, unhealthy: 5, critical: 20 },
  latency_p95_ms: { degraded: 1000, unhealthy: 2000, critical: 5000 },
  availability_percentage: { degraded: 99, unhealthy: 95, critical: 80 },
  integration_success_rate: { degraded: 99, unhealthy: 95, critical: 80 },
  cpu_usage_percent: { degraded: 70, unhealthy: 80, critical: 95 },
  memory_usage_percent: { degraded: 75, unhealthy: 85, critical: 95 },
  disk_usage_percent: { degraded: 80, unhealthy: 90, critical: 95 },
  db_connection_usage_percent: { degraded: 70, unhealthy: 85, critical: 95 },
  db_cache_hit_rate: { degraded: 95, unhealthy: 90, critical: 80 },
  db_deadlock_count: { degraded: 1, unhealthy: 5, critical: 20 },
  db_slow_query_count: { degraded: 1, unhealthy: 5, critical: 20 },
  baseline: { factor: 2, max_events: 30, min_events: 5, lookback_minutes: 1440, floor_ms: 100 },
  db_cache_min_block_accesses: 10_000,
  slow_query_ms: 1000,
  overall_worst_share: 0.25
}

/** The defaults with a call's overrides laid over them, group by group. */
export function resolveThresholds(overrides: ThresholdOverrides = {}): Thresholds {
  const resolved = structuredClone(DEFAULT_THRESHOLDS) as Record<string, unknown>
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    const current = resolved[key]
    resolved[key] = typeof value === 'object' && typeof current === 'object' ? { ...current, ...value } : value
  }
  return resolved as Thresholds
}
