// Turns PostgreSQL's refusals of bad data into client errors: a constraint the request broke
// is the caller's 4xx, not the service's 500. Anything not listed stays a server fault.
import { errors } from '../errors.js'

interface PgError {
  name: string
  code: string
  constraint_name?: string
  column_name?: string
  message: string
}

function isPgError (error: unknown): error is PgError {
  return error instanceof Error && error.name === 'PostgresError' && typeof (error as Partial<PgError>).code === 'string'
}

/** The client error for a database refusal, or undefined when it is the service's own fault. */
export function clientErrorFor (error: unknown): Error | undefined {
  if (!isPgError(error)) return undefined
  switch (error.code) {
    case '23514': return new errors.BadRequest(`the request breaks the data rule ${error.constraint_name ?? ''}`.trim())
    case '23502': return new errors.BadRequest(`${error.column_name ?? 'a field'} is required`)
    case '23503': return new errors.BadRequest(`a referenced row does not exist (${error.constraint_name ?? 'foreign key'})`)
    case '23505': return new errors.Conflict(`it already exists (${error.constraint_name ?? 'unique key'})`)
    case '22P02':
    case '22003':
    case '22007':
    case '22008':
    case '22023':
      return new errors.BadRequest(error.message)
    case '42501': return new errors.Forbidden('the caller may not do this to this row')
    // The service's own codes, raised by its SQL functions and triggers (see migrations).
    case 'C3404': return new errors.NotFound(error.message)
    case 'C3409': return new errors.Conflict(error.message)
    default: return undefined
  }
}
