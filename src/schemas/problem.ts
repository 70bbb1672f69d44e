// RFC 9457 problem details, the body of every error response.
import { Type, type Static } from 'typebox'

export const Problem = Type.Object(
  {
    type: Type.String({
      description: 'A URI naming the kind of problem',
      examples: ['urn:core314:problem:validation']
    }),
    title: Type.String({ description: 'The HTTP status phrase', examples: ['Bad Request'] }),
    status: Type.Integer({ description: 'The HTTP status code', examples: [400] }),
    code: Type.String({
      pattern: '^[A-Z][A-Z0-9_]*$',
      description:
        'The condition, named: clients branch on it rather than on the detail (docs/api.md lists every code)',
      examples: ['COMPONENT_NOT_FOUND']
    }),
    detail: Type.String({
      description: 'What went wrong, for a person',
      examples: ['/body/status must be equal to one of the allowed values']
    }),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({
            description: 'JSON pointer from the request part to the field',
            examples: ['/body/status']
          }),
          message: Type.String()
        }),
        { description: 'Each offending field, for validation errors' }
      )
    )
  },
  { $id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' }
)

export type ProblemBody = Static<typeof Problem>

/** A response schema map entry per error status a route can answer. */
export function problems(
  ...statuses: number[]
): Record<number, { description: string; content: Record<string, { schema: { $ref: string } }> }> {
  const descriptions: Record<number, string> = {
    400: 'Invalid input; `errors` names each field',
    401: 'Missing, malformed, wrongly signed or expired token',
    403: "The caller's role or credential may not do this (e.g. an ingest key outside the integration endpoints)",
    404: 'Not found, or not visible to the caller',
    406: 'The Accept header excludes every media type the operation answers in',
    409: "Not allowed in the resource's current state",
    413: 'Body too large',
    414: 'A path segment is longer than any path parameter allows (200 characters)',
    415: 'A Content-Type or Content-Encoding the route does not read',
    422: 'Idempotency-Key reused with a different body',
    429: 'Rate limit exceeded; see Retry-After',
    501: 'Not implemented yet',
    503: 'Not ready'
  }
  return Object.fromEntries(
    statuses.map(status => [
      status,
      {
        description: descriptions[status] ?? 'Error',
        content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } }
      }
    ])
  )
}
