// Reading and writing the resource tables the same way: find by id, insert one row
// naming its columns, and keyset-paged lists filtered on indexed columns. Table and column
// names come from the code's fixed lists, never from a caller; values are parameters.
import type { Tx } from './client.js'
import type { Cursor } from './pagination.js'

export type ResourceTable =
  | 'system_health_events'
  | 'anomaly_signals'
  | 'recovery_actions'
  | 'selftest_results'
  | 'escalation_events'
  | 'decision_audit_log'
  | 'runbook_runs'

// The time axis each table's list filters and pages by: a health event's is when it was measured
// (event_time), every other row's when it was written.
const TIME_COLUMN: Record<ResourceTable, 'event_time' | 'created_at'> = {
  system_health_events: 'event_time',
  anomaly_signals: 'created_at',
  recovery_actions: 'created_at',
  selftest_results: 'created_at',
  escalation_events: 'created_at',
  decision_audit_log: 'created_at',
  runbook_runs: 'created_at'
}

export interface ListQuery {
  /** column = value for each entry whose value is defined; null: the column is null. */
  equals: Record<string, string | boolean | null | undefined>
  /** time >= since and time < until, when given, on the table's time axis (TIME_COLUMN). */
  since?: string | undefined
  until?: string | undefined
  cursor?: Cursor | undefined
  limit: number
}

export type WithCursor<T> = T & { id: string; cursor_time: string }

export async function findRow<T extends object>(tx: Tx, table: ResourceTable, id: string): Promise<T | undefined> {
  const [row] = await tx<T[]>`select * from ${tx(table)} where id = ${id}`
  return row
}

/** Inserts the columns `row` sets among `columns`, so the others take their database defaults. */
export async function insertRow<T extends object>(
  tx: Tx,
  table: ResourceTable,
  row: Record<string, unknown>,
  columns: readonly string[]
): Promise<T> {
  const present = columns.filter(column => row[column] !== undefined)
  const [inserted] = await tx<T[]>`insert into ${tx(table)} ${tx(row as never, present)} returning *`
  return inserted as T
}

export async function listRows<T extends object>(
  tx: Tx,
  table: ResourceTable,
  query: ListQuery
): Promise<Array<WithCursor<T>>> {
  const { cursor } = query
  const time = tx(TIME_COLUMN[table])
  // postgres.js has no join helper for fragments; folding them keeps each value a parameter.
  const filters = Object.entries(query.equals)
    .filter(([, value]) => value !== undefined)
    .reduce(
      (fragment, [column, value]) =>
        value === null
          ? tx`${fragment} and ${tx(column)} is null`
          : tx`${fragment} and ${tx(column)} = ${value as string}`,
      tx``
    )
  return await tx<Array<WithCursor<T>>>`
    select *, ${time}::text as cursor_time
    from ${tx(table)}
    where true
      ${filters}
      ${query.since === undefined ? tx`` : tx`and ${time} >= ${query.since}`}
      ${query.until === undefined ? tx`` : tx`and ${time} < ${query.until}`}
      ${cursor === undefined ? tx`` : tx`and (${time}, id) < (${cursor.time}::text::timestamptz, ${cursor.id}::uuid)`}
    order by ${time} desc, id desc
    limit ${query.limit + 1}`
}
