// Arranging execution_log for the monitor tests: calls a known number of seconds ago, written
// by the owner connection so the rows are exactly what the test says, and thresholds that
// keep the live database sample out of a test's exact statuses.
import type { Sql } from '../../../src/db/client.js'
import type { ThresholdOverrides } from '../../../src/schemas/monitor-thresholds.js'

export interface Call {
  function_name: string
  status?: 'success' | 'error' | 'timeout'
  duration_ms: number | null
  /** How long ago the call was made, in seconds. */
  ago: number
  error_message?: string
  error_type?: string
  integration_name?: string
  retry_count?: number
  organization_id?: string
}

export async function insertCalls(sql: Sql, calls: Call[]): Promise<void> {
  for (const call of calls) {
    await sql`
      insert into execution_log (organization_id, function_name, status, duration_ms, error_message, integration_name, retry_count, metadata, created_at)
      values (${call.organization_id ?? null}, ${call.function_name}, ${call.status ?? 'success'}, ${call.duration_ms}, ${call.error_message ?? null},
        ${call.integration_name ?? null}, ${call.retry_count ?? 0},
        ${sql.json(call.error_type === undefined ? {} : { error_type: call.error_type })},
        now() - make_interval(secs => ${call.ago}))`
  }
}

const NEVER = { degraded: 1e12, unhealthy: 1e12, critical: 1e12 }

/** The database's own rules switched off, for tests about the collected components. */
export const QUIET_DATABASE: ThresholdOverrides = {
  db_connection_usage_percent: NEVER,
  db_deadlock_count: NEVER,
  db_slow_query_count: NEVER,
  db_cache_min_block_accesses: 1e12
}
