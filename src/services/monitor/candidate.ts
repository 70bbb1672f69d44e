// A component measured in one monitor run, before it is classified: the health event to store
// (without its status), the numbers the rules judge, and facts kept in metadata.monitor.
import type { HealthEventInputBody } from '../../schemas/health-events.js'
import type { Signals } from './classify.js'

export type Source = 'execution_log' | 'pg_stat' | 'manual'

export interface Candidate {
  source: Source
  event: Omit<HealthEventInputBody, 'status'>
  signals: Signals
  /** Calls in the window, for components collected from execution_log. */
  calls: number | null
  facts: Record<string, unknown>
}

/** The measurements of an event the classification rules read. */
export function eventSignals(event: Candidate['event']): Signals {
  return {
    error_rate: event.error_rate,
    latency_p95_ms: event.latency_p95_ms,
    availability_percentage: event.availability_percentage,
    integration_success_rate: event.integration_success_rate,
    cpu_usage_percent: event.cpu_usage_percent,
    memory_usage_percent: event.memory_usage_percent,
    disk_usage_percent: event.disk_usage_percent,
    db_cache_hit_rate: event.db_cache_hit_rate,
    db_deadlock_count: event.db_deadlock_count,
    db_slow_query_count: event.db_slow_query_count
  }
}
