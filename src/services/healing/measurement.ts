// Before-and-after arithmetic of the closed loop. The improvement is the mean relative change
// of the metrics both snapshots have, each signed so that better is positive (latency, errors,
// CPU and memory should fall; availability should rise). The effectiveness score (0-100)
// weighs that improvement (70 %) with the health status reached (30 %: healthy 100, degraded
// 50, worse 0), so an action that brought the component back to healthy scores high even when
// one metric barely moved.
import type { HealthSnapshotRow } from '../../db/component-health.js'

const LOWER_IS_BETTER = [
  'latency_p95_ms',
  'latency_ms',
  'error_rate',
  'cpu_usage_percent',
  'memory_usage_percent'
] as const
const HIGHER_IS_BETTER = ['availability_percentage'] as const
const STATUS_SCORE: Record<string, number> = { healthy: 100, degraded: 50 }

export type Snapshot = Record<string, unknown>

export function snapshot(event: HealthSnapshotRow): Snapshot {
  return Object.fromEntries(Object.entries(event).filter(([, value]) => value !== null))
}

function numberAt(snap: Snapshot, key: string): number | undefined {
  const value = snap[key]
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** Mean signed relative change in percent, or null when the snapshots share no usable metric. */
export function improvementPercent(pre: Snapshot, post: Snapshot): number | null {
  const changes: number[] = []
  for (const key of [...LOWER_IS_BETTER, ...HIGHER_IS_BETTER]) {
    const before = numberAt(pre, key)
    const after = numberAt(post, key)
    if (before === undefined || after === undefined) continue
    // A metric at zero before cannot improve relatively; unchanged zero counts as no change.
    if (before === 0) {
      if (after === 0) changes.push(0)
      continue
    }
    const relative = ((after - before) / before) * 100
    changes.push((HIGHER_IS_BETTER as readonly string[]).includes(key) ? relative : -relative)
  }
  if (changes.length === 0) return null
  return Math.round((changes.reduce((sum, change) => sum + change, 0) / changes.length) * 100) / 100
}

export function effectivenessScore(improvement: number, postStatus: unknown): number {
  const statusScore = typeof postStatus === 'string' ? (STATUS_SCORE[postStatus] ?? 0) : 0
  const score = 0.7 * Math.min(100, Math.max(0, improvement)) + 0.3 * statusScore
  return Math.round(score * 100) / 100
}

export interface Assessment {
  status: 'verified' | 'not_improved' | 'inconclusive'
  improvement: number | null
  score: number | null
}

export function assess(pre: Snapshot | null, post: Snapshot | null, minImprovementPercent: number): Assessment {
  if (pre === null || post === null) return { status: 'inconclusive', improvement: null, score: null }
  const improvement = improvementPercent(pre, post)
  if (improvement === null) return { status: 'inconclusive', improvement: null, score: null }
  const recovered = post.status === 'healthy' && pre.status !== 'healthy'
  return {
    status: improvement >= minImprovementPercent || recovered ? 'verified' : 'not_improved',
    improvement,
    score: effectivenessScore(improvement, post.status)
  }
}
