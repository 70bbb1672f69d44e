// Health events: ingestion (one, or a batch stored all or none) and reading, always as the
// caller so row-level security decides what is visible.
import { visibleOwner, type Caller } from '../db/caller.js'
import type { Db } from '../db/port.js'
import { insertHealthEventAsQuery, insertHealthEventIds, insertHealthEvents } from '../db/health-events.js'
import { findRow, listRows } from '../db/rows.js'
import { decodeCursor, toPage, type Page } from '../db/pagination.js'
import type { HealthEventInputBody, HealthEventRow } from '../schemas/health-events.js'
import { createOnce, type Created, type Idempotency } from './idempotency.js'
import { errors } from '../errors.js'

export async function recordHealthEvent (db: Db, caller: Caller, input: HealthEventInputBody, idempotency: Idempotency): Promise<Created<HealthEventRow>> {
  // Without a key there is nothing to claim or replay: the insert alone, in one round trip.
  if (idempotency.key === undefined) {
    const [row] = await db.statement((sql) => insertHealthEventAsQuery(sql, caller, input))
    return { status: 201, body: row as HealthEventRow, replayed: false }
  }
  return await db.asCaller(caller, async (tx) => await createOnce(tx, idempotency, async () => {
    const [row] = await insertHealthEvents(tx, [input])
    return { status: 201, body: row as HealthEventRow }
  }))
}

export async function recordHealthEventBatch (db: Db, caller: Caller, events: HealthEventInputBody[], idempotency: Idempotency): Promise<Created<{ inserted: number, ids: string[] }>> {
  return await db.asCaller(caller, async (tx) => await createOnce(tx, idempotency, async () => {
    const ids = await insertHealthEventIds(tx, events)
    return { status: 201, body: { inserted: ids.length, ids } }
  }))
}

export async function getHealthEvent (db: Db, caller: Caller, id: string): Promise<HealthEventRow> {
  const row = await db.asCaller(caller, async (tx) => await findRow<HealthEventRow>(tx, 'system_health_events', id))
  if (row === undefined) throw new errors.NotFound(`health event ${id} not found`)
  return row
}

export interface HealthEventFilters {
  component_type?: string | undefined
  component_name?: string | undefined
  status?: string | undefined
  environment?: string | undefined
  since?: string | undefined
  until?: string | undefined
}

export async function pageHealthEvents (db: Db, caller: Caller, filters: HealthEventFilters, cursor: string | undefined, limit: number): Promise<Page<HealthEventRow>> {
  const { since, until, ...equals } = filters
  const query = { equals: { ...equals, user_id: visibleOwner(caller) }, since, until, cursor: cursor === undefined ? undefined : decodeCursor(cursor), limit }
  const rows = await db.asCaller(caller, async (tx) => await listRows<HealthEventRow>(tx, 'system_health_events', query))
  return toPage(rows, limit)
}
