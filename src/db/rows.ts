// Reading and writing the resource tables the same way: find by id, insert one row
// naming its columns, and keyset-paged lists filtered on indexed columns. Table and column
// names come from the code's fixed lists, never from a caller; values are parameters.
import type { Tx } from './client.js'
import type { Cursor } from './pagination.js'

export type ResourceTable = 'system_health_events' | 'anomaly_signals' | 'recovery_actions' | 'selftest_results' | 'escalation_events' | 'decision_audit_log'

export interface ListQuery {
  /** column = value for each entry whose value is defined. */
  equals: Record<string, string | boolean | undefined>
  /** created_at >= since and created_at < until, when given. */
  since?: string | undefined
  until?: string | undefined
  cursor?: Cursor | undefined
  limit: number
}

export type WithCursor<T> = T & { id: string, cursor_created_at: string }

export async function findRow<T extends object> (tx: Tx, table: ResourceTable, id: string): Promise<T | undefined> {
  const [row] = await tx<T[]>`select * from ${tx(table)} where id = ${id}`
  return row
}

/** Inserts the columns `row` sets among `columns`, so the others take their database defaults. */
export async function insertRow<T extends object> (tx: Tx, table: ResourceTable, row: Record<string, unknown>, columns: readonly string[]): Promise<T> {
  const present = columns.filter((column) => row[column] !== undefined)
  const [inserted] = await tx<T[]>`insert into ${tx(table)} ${tx(row as never, present)} returning *`
  return inserted as T
}

export async function listRows<T extends object> (tx: Tx, table: ResourceTable, query: ListQuery): Promise<Array<WithCursor<T>>> {
  const { cursor } = query
  // postgres.js has no join helper for fragments; folding them keeps each value a parameter.
  const filters = Object.entries(query.equals)
    .filter(([, value]) => value !== undefined)
    .reduce((fragment, [column, value]) => tx`${fragment} and ${tx(column)} = ${value as string}`, tx``)
  return await tx<Array<WithCursor<T>>>`
    select *, created_at::text as cursor_created_at
    from ${tx(table)}
    where true
      ${filters}
      ${query.since === undefined ? tx`` : tx`and created_at >= ${query.since}`}
      ${query.until === undefined ? tx`` : tx`and created_at < ${query.until}`}
      ${cursor === undefined ? tx`` : tx`and (created_at, id) < (${cursor.createdAt}::text::timestamptz, ${cursor.id}::uuid)`}
    order by created_at desc, id desc
    limit ${query.limit + 1}`
}
