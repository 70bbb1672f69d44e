// Keyset pagination, newest first, over (time, id), the time being the table's time axis
// (created_at, or a health event's event_time). The cursor carries the last row's time with full
// microsecond precision (as PostgreSQL prints it) and its id, so paging never repeats or skips a
// row, whatever is inserted between pages. Queries must compare with
// `${cursor.time}::text::timestamptz`: a parameter typed timestamptz goes through
// postgres.js's Date serializer, which drops the microseconds.
import { InvalidFields } from '../errors.js'
import { UUID_PATTERN } from '../lib/uuid.js'
import { isStorableTimestamp } from '../schemas/timestamps.js'

export interface Cursor {
  time: string
  id: string
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.time, cursor.id])).toString('base64url')
}

export function decodeCursor(value: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string' &&
      isStorableTimestamp(parsed[0]) &&
      UUID_PATTERN.test(parsed[1])
    ) {
      return { time: parsed[0], id: parsed[1] }
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidFields([{ path: '/querystring/cursor', message: 'is not a cursor this service issued' }])
}

/** Rows fetched with limit + 1; each carries `cursor_time` (text) for the next cursor. */
export function toPage<T extends { id: string; cursor_time: string }>(
  rows: T[],
  limit: number
): Page<Omit<T, 'cursor_time'>> {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  const next = rows.length > limit && last !== undefined ? encodeCursor({ time: last.cursor_time, id: last.id }) : null
  return {
    items: items.map(({ cursor_time: _cursor, ...item }) => item),
    next_cursor: next
  }
}
