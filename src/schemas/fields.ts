// Field builders shared by the resource schemas, so a percentage, an id or a timestamp reads
// and validates the same way everywhere (units: docs/api.md).
import { Type, type Static, type TSchema, type TOptional, type TUnsafe } from 'typebox'
import { NAME_PATTERN } from '../lib/names.js'

type Options = Record<string, unknown>

export const uuid = (options: Options = {}) => Type.String({ format: 'uuid', ...options })
export const timestamp = (options: Options = {}) => Type.String({ format: 'date-time', ...options })
export const percent = (options: Options = {}) => Type.Number({ minimum: 0, maximum: 100, ...options })
export const nonNegative = (options: Options = {}) => Type.Number({ minimum: 0, ...options })
export const count = (options: Options = {}) => Type.Integer({ minimum: 0, maximum: 2_147_483_647, ...options })
/** A name a caller chooses: 1 to maxLength characters, none of them invisible or moving text (src/lib/names.ts). */
export const name = (maxLength: number, options: Options = {}) =>
  Type.String({ minLength: 1, maxLength, pattern: NAME_PATTERN, ...options })
export const text = (maxLength: number, options: Options = {}) => Type.String({ maxLength, ...options })
/** An identifier-like value that may be empty (a version, an environment, a category): a name's characters. */
export const label = (maxLength: number, options: Options = {}) =>
  Type.String({ maxLength, pattern: NAME_PATTERN, ...options })
export const jsonObject = (options: Options = {}) => Type.Record(Type.String(), Type.Unknown(), options)
export const tags = (options: Options = {}) => Type.Array(name(100), { maxItems: 50, ...options })

/**
 * A value the row may hold as NULL. A scalar becomes `type: [T, 'null']` rather than an anyOf:
 * the same contract, but fast-json-stringify serialises it directly instead of trying each
 * branch with a validator, which costs on every row of every response.
 */
export function nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const type = (schema as { type?: unknown }).type
  if (typeof type === 'string' && type !== 'object' && type !== 'array') {
    return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'] })
  }
  return Type.Unsafe<Static<T> | null>(Type.Union([schema, Type.Null()]))
}

/**
 * A page of a cursor-paged list: its items by reference to their shared schema (so the contract
 * names it rather than inlining it) and the cursor of the next page, null on the last.
 */
export function cursorPage<T extends TSchema>(item: T, $id: string, cursor: TSchema = Type.String()) {
  const { $id: itemId } = item as { $id?: string }
  if (itemId === undefined) throw new Error(`${$id}: its item schema has no $id to refer to`)
  return Type.Object(
    {
      items: Type.Array(Type.Unsafe<Static<T>>({ $ref: `${itemId}#` })),
      next_cursor: nullable(cursor as TUnsafe<string>)
    },
    { $id }
  )
}

/** An input field a caller may leave out or send as null. */
export function optional<T extends TSchema>(schema: T): TOptional<TUnsafe<Static<T> | null>> {
  return Type.Optional(nullable(schema))
}

/** The same properties, each one a caller may leave out. */
export function optionalAll<T extends Record<string, TSchema>>(properties: T): { [K in keyof T]: TOptional<T[K]> } {
  return Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)])) as {
    [K in keyof T]: TOptional<T[K]>
  }
}

export const HEALTH_STATUSES = ['healthy', 'degraded', 'unhealthy', 'critical', 'unknown'] as const
export const healthStatus = (options: Options = {}) =>
  Type.Enum(HEALTH_STATUSES, {
    description: 'healthy, degraded, unhealthy, critical, or unknown (no data)',
    ...options
  })
