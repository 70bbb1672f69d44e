// The catalogue of errors the service raises on purpose. Each has a code, a status and a
// problem type; the errors plugin turns them (and everything else) into problem+json.
import createError from '@fastify/error'

export const errors = {
  Unauthorized: createError<[string]>('CORE314_UNAUTHORIZED', '%s', 401),
  Forbidden: createError<[string]>('CORE314_FORBIDDEN', '%s', 403),
  NotFound: createError<[string]>('CORE314_NOT_FOUND', '%s', 404),
  Conflict: createError<[string]>('CORE314_CONFLICT', '%s', 409),
  Unprocessable: createError<[string]>('CORE314_UNPROCESSABLE', '%s', 422),
  BadRequest: createError<[string]>('CORE314_BAD_REQUEST', '%s', 400),
  RateLimited: createError<[string]>('CORE314_RATE_LIMITED', '%s', 429),
  NotImplemented: createError<[string]>('CORE314_NOT_IMPLEMENTED', '%s', 501),
  Unavailable: createError<[string]>('CORE314_UNAVAILABLE', '%s', 503)
}

/** A problem type URI per status; `about:blank` where the status says it all (RFC 9457 §4.2.1). */
export function problemType(status: number, validation = false): string {
  if (validation) return 'urn:core314:problem:validation'
  switch (status) {
    case 401:
      return 'urn:core314:problem:unauthorized'
    case 403:
      return 'urn:core314:problem:forbidden'
    case 404:
      return 'urn:core314:problem:not-found'
    case 409:
      return 'urn:core314:problem:conflict'
    case 422:
      return 'urn:core314:problem:unprocessable'
    case 429:
      return 'urn:core314:problem:rate-limited'
    default:
      return 'about:blank'
  }
}

/** Input that passed the schema but breaks a rule the service checks itself, naming each field. */
export class InvalidFields extends Error {
  readonly statusCode = 400
  constructor(readonly fields: Array<{ path: string; message: string }>) {
    super(fields.map(field => `${field.path} ${field.message}`).join('; '))
    this.name = 'InvalidFields'
  }
}
