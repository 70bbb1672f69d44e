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

function isPgError(error: unknown): error is PgError {
  return (
    error instanceof Error && error.name === 'PostgresError' && typeof (error as Partial<PgError>).code === 'string'
  )
}

const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  // A write to a socket the server has already closed (a terminated backend): postgres.js hands
  // the socket's error to the connection's queries as it is.
  'EPIPE',
  // The same write made by Node after the socket had ended or been destroyed: Node's own codes.
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_DESTROYED',
  'ERR_SOCKET_CLOSED',
  'ECONNABORTED',
  'ETIMEDOUT'
])

/** The database went away under the request (restart, failover, killed connection). */
export function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code !== 'string') return false
  return CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03'
}

/** DB_REQUEST_TIMEOUT_MS ran out in the database: a statement cancelled, or an idle transaction ended. */
const TIMEOUT_CODES = new Set(['57014', '25P03'])

/** The database did not answer: the connection is lost, or the work's time ran out in it. */
export function isUnanswered(error: unknown): boolean {
  return isConnectionLoss(error) || (isPgError(error) && TIMEOUT_CODES.has(error.code))
}

/** A lifecycle trigger or function of the service refused the move (SQLSTATE C3409). */
export function isForbiddenMove(error: unknown): error is Error {
  return isPgError(error) && error.code === 'C3409'
}

/**
 * The database refused a statement while running it, for what it was given: a statement
 * outside a transaction block has then rolled back whole, so sending its parts again cannot
 * store anything twice. Neither a timeout (the request's time is spent) nor a lost connection
 * (whether it committed is unknown).
 */
export function isStatementRefusal(error: unknown): boolean {
  return isPgError(error) && !isUnanswered(error)
}

/**
 * The client error for a database refusal, or undefined when it is the service's own fault.
 * Losing the database is a 503: nothing was stored (the transaction never committed), and the
 * caller should retry.
 */
export function clientErrorFor(error: unknown): Error | undefined {
  if (isConnectionLoss(error))
    return new errors.DatabaseUnavailable('the database is unavailable; nothing was stored, retry shortly')
  if (!isPgError(error)) return undefined
  // Either way the transaction rolled back.
  if (TIMEOUT_CODES.has(error.code))
    return new errors.DatabaseTimeout('the database did not answer in time; nothing was stored, retry shortly')
  switch (error.code) {
    case '23514':
      return new errors.DataRuleBroken(`the request breaks the data rule ${error.constraint_name ?? ''}`.trim())
    case '23502':
      return new errors.FieldRequired(`${error.column_name ?? 'a field'} is required`)
    case '23503':
      return new errors.ReferenceMissing(`a referenced row does not exist (${error.constraint_name ?? 'foreign key'})`)
    case '23505':
      return new errors.AlreadyExists(`it already exists (${error.constraint_name ?? 'unique key'})`)
    case '22P02':
    case '22003':
    case '22007':
    case '22008':
    case '22023':
      return new errors.BadRequest(error.message)
    case '42501':
      return new errors.RowNotPermitted('the caller may not do this to this row')
    // The service's own codes, raised by its SQL functions and triggers (see migrations).
    case 'C3404':
      return new errors.NotFound(error.message)
    case 'C3409':
      return new errors.Conflict(error.message)
    default:
      return undefined
  }
}

/**
 * postgres.js leaves some promises of a connection that dies mid-flight rejected with no
 * handler; the request or job that used the connection already got its own error. This keeps
 * those from ending the process and rethrows any other unhandled rejection (which then ends
 * it as an uncaught exception would).
 */
export function tolerateConnectionLoss(log: (reason: unknown) => void): (reason: unknown) => void {
  const handler = (reason: unknown): void => {
    if (!isConnectionLoss(reason)) throw reason
    log(reason)
  }
  process.on('unhandledRejection', handler)
  return handler
}
