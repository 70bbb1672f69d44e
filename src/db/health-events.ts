// Queries on system_health_events. They run in the caller's transaction, under RLS.
import type { Tx } from './client.js'
import type { Cursor } from './pagination.js'
import { HEALTH_EVENT_COLUMNS, type HealthEventInputBody, type HealthEventRow } from '../schemas/health-events.js'

export type HealthEventWithCursor = HealthEventRow & { cursor_created_at: string }

export interface HealthEventFilters {
  component_type?: string | undefined
  component_name?: string | undefined
  status?: string | undefined
  environment?: string | undefined
  since?: string | undefined
  until?: string | undefined
}

/** One multi-row INSERT for the whole batch: all rows or, on any error, none. */
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

export async function findHealthEvent (tx: Tx, id: string): Promise<HealthEventRow | undefined> {
  const [row] = await tx<HealthEventRow[]>`select * from system_health_events where id = ${id}`
  return row
}

export async function listHealthEvents (tx: Tx, filters: HealthEventFilters, cursor: Cursor | undefined, limit: number): Promise<HealthEventWithCursor[]> {
  return await tx<HealthEventWithCursor[]>`
    select *, created_at::text as cursor_created_at
    from system_health_events
    where true
      ${filters.component_type === undefined ? tx`` : tx`and component_type = ${filters.component_type}`}
      ${filters.component_name === undefined ? tx`` : tx`and component_name = ${filters.component_name}`}
      ${filters.status === undefined ? tx`` : tx`and status = ${filters.status}`}
      ${filters.environment === undefined ? tx`` : tx`and environment = ${filters.environment}`}
      ${filters.since === undefined ? tx`` : tx`and created_at >= ${filters.since}`}
      ${filters.until === undefined ? tx`` : tx`and created_at < ${filters.until}`}
      ${cursor === undefined ? tx`` : tx`and (created_at, id) < (${cursor.createdAt}::text::timestamptz, ${cursor.id}::uuid)`}
    order by created_at desc, id desc
    limit ${limit + 1}`
}
