// Ingestion into system_health_events: a batch is one multi-row INSERT naming every writable
// column, so it is stored whole or, on any error, not at all; a single event is one
// statement that applies its caller itself (migration 0044), the cheapest committed write.
import type { PendingQuery } from 'postgres'
import type { Sql, Tx } from './client.js'
import { claimsText, type Caller } from './caller.js'
import { HEALTH_EVENT_COLUMNS, type HealthEventInputBody, type HealthEventRow } from '../schemas/health-events.js'

export async function insertHealthEvents(tx: Tx, events: HealthEventInputBody[]): Promise<HealthEventRow[]> {
  return await tx<HealthEventRow[]>`
    insert into system_health_events ${tx(events as never, HEALTH_EVENT_COLUMNS)}
    returning *`
}

/** The same insert returning only ids, for batches where the rows are not echoed back. */
export async function insertHealthEventIds(tx: Tx, events: HealthEventInputBody[]): Promise<string[]> {
  const rows = await tx<Array<{ id: string }>>`
    insert into system_health_events ${tx(events as never, HEALTH_EVENT_COLUMNS)}
    returning id`
  return rows.map(row => row.id)
}

/**
 * One event stored as the caller by core314.insert_health_event_as: one statement, its own
 * transaction, so one round trip, committed when this resolves. Run it on the pool, never
 * inside a transaction (the caller's settings would then outlive the statement until that
 * transaction ends).
 */
export async function insertHealthEventAs(
  sql: Sql,
  caller: Caller,
  event: HealthEventInputBody
): Promise<HealthEventRow> {
  const [row] = await insertHealthEventAsQuery(sql, caller, event)
  return row as HealthEventRow
}

/** The same statement, not yet sent: Db.statement sends it and may cancel it. */
export function insertHealthEventAsQuery(
  sql: Sql,
  caller: Caller,
  event: HealthEventInputBody
): PendingQuery<HealthEventRow[]> {
  return sql<HealthEventRow[]>`
    select * from core314.insert_health_event_as(${caller.role}, ${claimsText(caller)}, ${sql.json(event as never)})`
}
