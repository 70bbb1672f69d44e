// The `database` component event from a sample of the service's own PostgreSQL. pg_stat_database
// counts since its last reset, so deadlocks, cache hits and statement calls are turned into
// per-window figures against the counters the previous run stored in its event; the first run,
// or one after a statistics reset, counts since the reset and says so (counters_since).
import type { DatabaseCounters, DatabaseSample, PreviousSample } from '../../db/database-metrics.js'
import type { Candidate } from './candidate.js'
import type { Thresholds } from '../../schemas/monitor-thresholds.js'

const COUNTERS = ['deadlocks', 'blks_hit', 'blks_read', 'xact_commit', 'xact_rollback'] as const

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

function comparable(current: DatabaseCounters, previous: PreviousSample | undefined): previous is PreviousSample {
  if (previous === undefined || previous.counters.stats_reset !== current.stats_reset) return false
  return COUNTERS.every(counter => current[counter] >= previous.counters[counter])
}

export function databaseCandidate(
  sample: DatabaseSample,
  previous: PreviousSample | undefined,
  thresholds: Thresholds
): Candidate {
  const current = sample.counters
  const since = comparable(current, previous) ? previous : undefined
  const delta = (counter: (typeof COUNTERS)[number]): number => current[counter] - (since?.counters[counter] ?? 0)
  const statementCalls =
    current.statement_calls === null
      ? null
      : current.statement_calls -
        (since?.counters.statement_calls != null && since.counters.statement_calls <= current.statement_calls
          ? since.counters.statement_calls
          : 0)

  const blockAccesses = delta('blks_hit') + delta('blks_read')
  const cacheHitRate = blockAccesses > 0 ? round((100 * delta('blks_hit')) / blockAccesses) : null
  const connectionUsage = round((100 * sample.server_connections) / sample.max_connections)
  const windowStart = since?.sampled_at ?? current.stats_reset
  const windowStartDate = windowStart === null ? null : new Date(windowStart)

  return {
    source: 'pg_stat',
    event: {
      component_type: 'database',
      component_name: sample.database,
      environment: 'production',
      db_connection_count: sample.connections,
      db_query_count: statementCalls,
      db_slow_query_count: sample.slow_queries,
      db_deadlock_count: delta('deadlocks'),
      db_cache_hit_rate: cacheHitRate,
      measurement_window_start: windowStartDate?.toISOString() ?? null,
      measurement_window_end: sample.sampled_at.toISOString(),
      measurement_window_seconds:
        windowStartDate === null
          ? null
          : Math.max(0, Math.round((sample.sampled_at.getTime() - windowStartDate.getTime()) / 1000)),
      error_types: {},
      metadata: {},
      tags: ['monitor']
    },
    signals: {
      db_connection_usage_percent: connectionUsage,
      db_cache_hit_rate: blockAccesses >= thresholds.db_cache_min_block_accesses ? cacheHitRate : null,
      db_deadlock_count: delta('deadlocks'),
      db_slow_query_count: sample.slow_queries
    },
    calls: null,
    facts: {
      sampled_at: sample.sampled_at.toISOString(),
      counters: current,
      counters_since: since === undefined ? (current.stats_reset === null ? 'start' : 'stats_reset') : 'previous_run',
      max_connections: sample.max_connections,
      server_connections: sample.server_connections,
      connection_usage_percent: connectionUsage,
      active: sample.active,
      idle_in_transaction: sample.idle_in_transaction,
      sessions_state_hidden: sample.hidden,
      longest_query_seconds: sample.longest_query_seconds,
      block_accesses: blockAccesses,
      transactions: delta('xact_commit') + delta('xact_rollback'),
      rollbacks: delta('xact_rollback'),
      pg_stat_statements: sample.pg_stat_statements
    }
  }
}
