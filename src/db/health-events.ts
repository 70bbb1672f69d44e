// Ingestion into system_health_events: a batch is one INSERT ... SELECT over the events sent
// as one JSON parameter, so it is stored whole or, on any error, not at all; a single event is
// one statement that applies its caller itself (migration 0044), the cheapest committed write,
// and concurrent single events of one caller share such a statement (0145, the group commit).
//
// Why one JSON parameter rather than a multi-row VALUES list: postgres.js encodes every
// parameter on its own (its type, its text, its length in the Bind message), which for 500
// events of 45 columns is 22,500 parameters and was the largest share of the server's CPU
// under load after waiting (docs/scaling.md). sql.json sends them as one JSON.stringify, native and one pass; PostgreSQL
// reads the array back with jsonb_populate_recordset typed by the table's own row type, so each
// column gets the type, the default-less NULL and the checks it would get from VALUES. The
// statement is also the same text for every batch size, where VALUES made one prepared
// statement per size on every connection. Keys outside the fixed column list are never read.
import type { PendingQuery } from 'postgres'
import type { Sql, Tx } from './client.js'
import { claimsText, type Caller } from './caller.js'
import { HEALTH_EVENT_COLUMNS, type HealthEventInputBody, type HealthEventRow } from '../schemas/health-events.js'

function insertFromJson(tx: Tx, events: HealthEventInputBody[]) {
  const columns = tx(HEALTH_EVENT_COLUMNS)
  // In the events' order: RETURNING follows the order the rows are inserted in.
  return tx`
    insert into system_health_events (${columns})
    select ${columns} from jsonb_populate_recordset(null::system_health_events, ${tx.json(events as never)})`
}

export async function insertHealthEvents(tx: Tx, events: HealthEventInputBody[]): Promise<HealthEventRow[]> {
  return await tx<HealthEventRow[]>`${insertFromJson(tx, events)} returning *`
}

/** The same insert returning only ids, for batches where the rows are not echoed back. */
export async function insertHealthEventIds(tx: Tx, events: HealthEventInputBody[]): Promise<string[]> {
  const rows = await tx<Array<{ id: string }>>`${insertFromJson(tx, events)} returning id`
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

/**
 * Several events of one caller in one statement (core314.insert_health_events_as, 0145): one
 * transaction, stored all or none, the rows returned in the events' order. Not yet sent, as
 * above. The group commit of single POSTs (src/services/health-event-groups.ts) sends it.
 */
export function insertHealthEventsAsQuery(
  sql: Sql,
  caller: Caller,
  events: HealthEventInputBody[]
): PendingQuery<HealthEventRow[]> {
  return sql<HealthEventRow[]>`
    select * from core314.insert_health_events_as(${caller.role}, ${claimsText(caller)}, ${sql.json(events as never)})`
}
