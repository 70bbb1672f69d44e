// Request parts many routes share: pagination, the Idempotency-Key header, an id parameter.
import { Type } from 'typebox'
import { uuid } from './fields.js'

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 500

export const paginationQuery = {
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_LIMIT,
    default: DEFAULT_LIMIT,
    description: `Items per page, 1-${MAX_LIMIT}`
  }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'The `next_cursor` of the previous page' })
  )
}

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'Makes a retry safe: the same key and body within 24 hours returns the first response without creating again; the same key with another body is 422'
    })
  )
})

/** The path's `{id}`, described by what it identifies ("the anomaly"). */
export const idParams = (resource: string) => Type.Object({ id: uuid({ description: `The id of ${resource}` }) })

export const ALL_CALLERS = ['user', 'admin', 'service'] as const
