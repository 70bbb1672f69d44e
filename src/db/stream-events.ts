// The stream log (migrations 0120, 0140): what changed, in order, for GET /v1/stream. The triggers
// write it; the stream reads what a reconnecting client missed, prunes what is too old to
// resume from, and asks per event whether its caller may read the changed row.
import type { Sql, Tx } from './client.js'

export const STREAM_CHANNEL = 'core314_stream'

export type StreamTopic =
  'anomaly' | 'recovery_action' | 'selftest' | 'escalation' | 'healing_mode' | 'predictive_alert'

export interface StreamEvent {
  id: number
  topic: StreamTopic
  row_id: string | null
  op: 'insert' | 'update' | 'delete'
}

// The table each topic's row lives in; the healing mode is one row every caller reads.
const TABLES: Record<Exclude<StreamTopic, 'healing_mode'>, string> = {
  anomaly: 'anomaly_signals',
  recovery_action: 'recovery_actions',
  selftest: 'selftest_results',
  escalation: 'escalation_events',
  predictive_alert: 'predictive_alerts'
}

/** The events after `afterId`, oldest first, at most `limit`. */
export async function streamEventsAfter(sql: Sql, afterId: number, limit: number): Promise<StreamEvent[]> {
  return await sql<StreamEvent[]>`
    select id::float8 as id, topic, row_id, op from stream_events
    where id > ${afterId}
    order by id
    limit ${limit}`
}

/** Removes events recorded before `before`; a client gone longer than that reloads instead of resuming. */
export async function pruneStreamEvents(sql: Sql, before: Date): Promise<number> {
  const { count } = await sql`delete from stream_events where created_at < ${before}`
  return count
}

/** Whether the transaction's caller may read the event's row (row-level security decides). */
export async function streamRowVisible(tx: Tx, event: StreamEvent): Promise<boolean> {
  if (event.topic === 'healing_mode') return true
  if (event.row_id === null) return false
  const [row] = await tx`select 1 from ${tx(TABLES[event.topic])} where id = ${event.row_id}`
  return row !== undefined
}

/** Calls `onEvent` for every event any instance records, until the returned function is called. */
export async function listenStreamEvents(
  sql: Sql,
  onEvent: (event: StreamEvent) => void
): Promise<() => Promise<void>> {
  const { unlisten } = await sql.listen(STREAM_CHANNEL, payload => {
    onEvent(JSON.parse(payload) as StreamEvent)
  })
  return unlisten
}
