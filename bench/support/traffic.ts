// HTTP traffic for the long-running benches: every request is timed and counted by kind and
// status, 5xx answers and connection errors are kept for the report, and paced loops hold a
// steady rate (a loop that falls behind carries on at once, without a burst to catch up).
import { performance } from 'node:perf_hooks'
import { percentile } from './database.js'

export interface Answer {
  status: number
  body: unknown
  headers: Headers | undefined
}

export interface Failure {
  kind: string
  method: string
  path: string
  status: number
  detail: string
  at: string
}

export interface KindFigures {
  kind: string
  count: number
  perSecond: number
  p50: number
  p99: number
  statuses: string
}

interface KindStats {
  count: number
  statuses: Map<number, number>
  durations: number[]
}

const KEPT_FAILURES = 20

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** Runs `op` `perSecond` times a second until `done()`; an op that errors ends the loop with it. */
export async function paced(perSecond: number, done: () => boolean, op: () => Promise<void>): Promise<void> {
  const interval = 1000 / perSecond
  let next = performance.now()
  while (!done()) {
    await op()
    next += interval
    const wait = next - performance.now()
    if (wait > 0) await sleep(wait)
    else next = performance.now()
  }
}

export class Traffic {
  readonly failures: Failure[] = []
  serverErrors = 0
  connectionErrors = 0
  private readonly kinds = new Map<string, KindStats>()

  constructor(private readonly address: string) {}

  async request(
    kind: string,
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    const started = performance.now()
    let answer: Answer
    try {
      const response = await fetch(`${this.address}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body)
      })
      const text = await response.text()
      answer = { status: response.status, body: parseJson(text), headers: response.headers }
    } catch (err) {
      answer = {
        status: 0,
        body: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        headers: undefined
      }
    }
    this.record(kind, answer.status, performance.now() - started)
    if (answer.status >= 500 || answer.status === 0) {
      if (answer.status === 0) this.connectionErrors += 1
      else this.serverErrors += 1
      if (this.failures.length < KEPT_FAILURES) {
        this.failures.push({
          kind,
          method,
          path,
          status: answer.status,
          detail: JSON.stringify(answer.body).slice(0, 300),
          at: new Date().toISOString()
        })
      }
    }
    return answer
  }

  /** Per kind: count, rate over `seconds`, p50/p99 latency in ms and the statuses seen. */
  figures(seconds: number): KindFigures[] {
    return [...this.kinds.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, stats]) => {
        const sorted = [...stats.durations].sort((a, b) => a - b)
        return {
          kind,
          count: stats.count,
          perSecond: stats.count / seconds,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          statuses: [...stats.statuses.entries()]
            .sort(([a], [b]) => a - b)
            .map(([status, n]) => `${status}:${n}`)
            .join(' ')
        }
      })
  }

  total(): number {
    return [...this.kinds.values()].reduce((sum, stats) => sum + stats.count, 0)
  }

  private record(kind: string, status: number, ms: number): void {
    let stats = this.kinds.get(kind)
    if (stats === undefined) {
      stats = { count: 0, statuses: new Map(), durations: [] }
      this.kinds.set(kind, stats)
    }
    stats.count += 1
    stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1)
    stats.durations.push(ms)
  }
}
