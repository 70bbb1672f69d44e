// Constructed health-event series for the detector tests: rows inserted into the real
// system_health_events table with the times the test chooses, one point a minute unless told.
import type { Sql } from '../../../src/db/client.js'

export const MINUTE = 60_000

export interface Metrics {
  latency_ms?: number
  error_rate?: number
  cpu_usage_percent?: number
  memory_usage_percent?: number
  disk_usage_percent?: number
  throughput_per_minute?: number
  last_error_message?: string
}

export interface Point extends Metrics {
  at: Date
}

/** A fixed evaluation time in the recent past, on a whole minute. */
export function evaluationTime(minutesAgo = 5): Date {
  return new Date(Math.floor(Date.now() / MINUTE) * MINUTE - minutesAgo * MINUTE)
}

/** Deterministic noise in [-1, 1]: the same series every run. */
export function wobble(i: number): number {
  return (((i * 7919) % 23) - 11) / 11
}

/** `count` points a minute apart ending at `end`, the i-th (oldest first) from `metrics(i)`. */
export function minutely(end: Date, count: number, metrics: (i: number) => Metrics, stepMs = MINUTE): Point[] {
  return Array.from({ length: count }, (_, i) => ({
    at: new Date(end.getTime() - (count - 1 - i) * stepMs),
    ...metrics(i)
  }))
}

const COLUMNS = [
  'organization_id',
  'component_type',
  'component_name',
  'status',
  'created_at',
  'latency_ms',
  'error_rate',
  'cpu_usage_percent',
  'memory_usage_percent',
  'disk_usage_percent',
  'throughput_per_minute',
  'last_error_message'
]

export async function insertSeries(
  sql: Sql,
  componentName: string,
  points: Point[],
  organizationId: string | null = null
): Promise<void> {
  const rows = points.map(point => ({
    organization_id: organizationId,
    component_type: 'edge_function',
    component_name: componentName,
    status: 'healthy',
    created_at: point.at,
    latency_ms: point.latency_ms ?? null,
    error_rate: point.error_rate ?? null,
    cpu_usage_percent: point.cpu_usage_percent ?? null,
    memory_usage_percent: point.memory_usage_percent ?? null,
    disk_usage_percent: point.disk_usage_percent ?? null,
    throughput_per_minute: point.throughput_per_minute ?? null,
    last_error_message: point.last_error_message ?? null
  }))
  for (let i = 0; i < rows.length; i += 1000)
    await sql`insert into system_health_events ${sql(rows.slice(i, i + 1000) as never, COLUMNS)}`
}

/** A steady history then the window's values, ending at `end`: `history` points of `base` ± `noise`. */
export function historyThen(
  end: Date,
  history: number,
  base: number,
  noise: number,
  windowValues: number[],
  metric: keyof Omit<Metrics, 'last_error_message'> = 'latency_ms'
): Point[] {
  const total = history + windowValues.length
  return minutely(end, total, i => ({ [metric]: i < history ? base + noise * wobble(i) : windowValues[i - history] }))
}
