// Batch ingestion into system_health_events: one multi-row INSERT naming every writable
// column, so a batch is stored whole or, on any error, not at all.
import type { Tx } from './client.js'
import { HEALTH_EVENT_COLUMNS, type HealthEventInputBody, type HealthEventRow } from '../schemas/health-events.js'

export async function insertHealthEvents (tx: Tx, events: HealthEventInputBody[]): Promise<HealthEventRow[]> {
  return await tx<HealthEventRow[]>`
    insert into system_health_events ${tx(events as never, HEALTH_EVENT_COLUMNS)}
    returning *`
}

/** The same insert returning only ids, for batches where the rows are not echoed back. */
export async function insertHealthEventIds (tx: Tx, events: HealthEventInputBody[]): Promise<string[]> {
  const rows = await tx<Array<{ id: string }>>`
    insert into system_health_events ${tx(events as never, HEALTH_EVENT_COLUMNS)}
    returning id`
  return rows.map((row) => row.id)
}
