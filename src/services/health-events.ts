// Health events: ingestion (one, or a batch stored all or none, each within the event-time
// bounds) and reading by event time, always as the caller so row-level security decides what is
// visible.
import { visibleOwner, type Caller } from '../db/caller.js'
import type { Db } from '../db/port.js'
import { insertHealthEventIds, insertHealthEvents } from '../db/health-events.js'
import { findRow, listRows } from '../db/rows.js'
import { decodeCursor, toPage, type Page } from '../db/pagination.js'
import type { HealthEventInputBody, HealthEventRow } from '../schemas/health-events.js'
import { createOnce, type Created, type Idempotency } from './idempotency.js'
import { errors } from '../errors.js'
import type { EventTimeBounds } from '../config.js'
import { checkEventTimes } from './event-time.js'
import { inCredentialOrganization, organizationFilter } from './organization-scope.js'
import type { StoreHealthEvent } from './health-event-groups.js'

/** `store` writes an event sent without a key: the group commit (health-event-groups.ts). */
export async function recordHealthEvent(
  db: Db,
  store: StoreHealthEvent,
  caller: Caller,
  input: HealthEventInputBody,
  idempotency: Idempotency,
  bounds: EventTimeBounds
): Promise<Created<HealthEventRow>> {
  const event = inCredentialOrganization(caller, input)
  const check = (): void => {
    checkEventTimes([event], bounds, Date.now(), () => '/body/measurement_window_end')
  }
  // Without a key there is nothing to claim or replay: one statement, shared with the events
  // of the same caller that arrive with it.
  if (idempotency.key === undefined) {
    check()
    return { status: 201, body: await store(caller, event), replayed: false }
  }
  // Checked once the key is claimed, so a retry of a stored event replays it however late.
  return await db.asCaller(
    caller,
    async tx =>
      await createOnce(tx, idempotency, async () => {
        check()
        const [row] = await insertHealthEvents(tx, [event])
        return { status: 201, body: row as HealthEventRow }
      })
  )
}

export async function recordHealthEventBatch(
  db: Db,
  caller: Caller,
  events: HealthEventInputBody[],
  idempotency: Idempotency,
  bounds: EventTimeBounds
): Promise<Created<{ inserted: number; ids: string[] }>> {
  return await db.asCaller(
    caller,
    async tx =>
      await createOnce(tx, idempotency, async () => {
        checkEventTimes(events, bounds, Date.now(), index => `/body/events/${index}/measurement_window_end`)
        const ids = await insertHealthEventIds(
          tx,
          events.map(event => inCredentialOrganization(caller, event))
        )
        return { status: 201, body: { inserted: ids.length, ids } }
      })
  )
}

export async function getHealthEvent(db: Db, caller: Caller, id: string): Promise<HealthEventRow> {
  const row = await db.asCaller(caller, async tx => await findRow<HealthEventRow>(tx, 'system_health_events', id))
  if (row === undefined) throw new errors.HealthEventNotFound(`health event ${id} not found`)
  return row
}

export interface HealthEventFilters {
  component_type?: string | undefined
  component_name?: string | undefined
  organization_id?: string | undefined
  status?: string | undefined
  environment?: string | undefined
  since?: string | undefined
  until?: string | undefined
}

export async function pageHealthEvents(
  db: Db,
  caller: Caller,
  filters: HealthEventFilters,
  cursor: string | undefined,
  limit: number
): Promise<Page<HealthEventRow>> {
  const { since, until, ...equals } = filters
  const query = {
    equals: { ...equals, organization_id: organizationFilter(equals.organization_id), user_id: visibleOwner(caller) },
    since,
    until,
    cursor: cursor === undefined ? undefined : decodeCursor(cursor),
    limit
  }
  const rows = await db.asCaller(caller, async tx => await listRows<HealthEventRow>(tx, 'system_health_events', query))
  return toPage(rows, limit)
}
