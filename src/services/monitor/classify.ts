// Status classification, one rule per measurement: every rule a component has data for gives
// a level, the worst wins, and each breach is written down as a reason so a person (and the
// audit log) can see why. Collected, database and manually submitted metrics all go through
// here, so the same numbers always get the same status.
import type { HEALTH_STATUSES } from '../../schemas/fields.js'
import { RULES, type Level, type RuleName, type Thresholds } from '../../schemas/monitor-thresholds.js'

export type HealthStatus = (typeof HEALTH_STATUSES)[number]

export type Signals = Partial<Record<RuleName, number | null>>

export interface LatencyBaseline {
  /** The component's usual p95 (ms); null when it has too little history. */
  latency_p95_ms: number | null
  events: number
}

export interface Classification {
  status: HealthStatus
  reasons: string[]
}

const RANK: Record<HealthStatus, number> = { unknown: -1, healthy: 0, degraded: 1, unhealthy: 2, critical: 3 }
const LEVELS: Level[] = ['critical', 'unhealthy', 'degraded']

export function rank(status: HealthStatus): number {
  return RANK[status]
}

function breached(value: number, limit: number, direction: 'high' | 'low'): boolean {
  return direction === 'high' ? value >= limit : value <= limit
}

export function classify(
  signals: Signals,
  baseline: LatencyBaseline | undefined,
  thresholds: Thresholds
): Classification {
  let status: HealthStatus = 'unknown'
  const reasons: string[] = []
  const raise = (to: HealthStatus): void => {
    if (RANK[to] > RANK[status]) status = to
  }

  for (const [rule, direction] of Object.entries(RULES) as Array<[RuleName, 'high' | 'low']>) {
    const value = signals[rule]
    if (value === undefined || value === null) continue
    raise('healthy')
    const levels = thresholds[rule]
    const level = LEVELS.find(candidate => breached(value, levels[candidate], direction))
    if (level === undefined) continue
    raise(level)
    reasons.push(`${rule} ${value} ${direction === 'high' ? '>=' : '<='} ${levels[level]} (${level})`)
  }

  const p95 = signals.latency_p95_ms
  const usual = baseline?.latency_p95_ms
  const rule = thresholds.baseline
  if (
    p95 != null &&
    usual != null &&
    baseline !== undefined &&
    baseline.events >= rule.min_events &&
    p95 >= rule.floor_ms &&
    p95 >= rule.factor * usual
  ) {
    raise('degraded')
    reasons.push(`latency_p95_ms ${p95} >= ${rule.factor} x usual ${usual} over ${baseline.events} events (degraded)`)
  }
  return { status, reasons }
}
