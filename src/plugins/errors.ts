// One error path: every error, thrown or from validation, leaves as RFC 9457 problem+json.
// A 5xx says "Internal Server Error" and nothing more; the details go to the log only.
import fp from 'fastify-plugin'
import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { CATALOGUE_CODES, errors, fallbackCode, InvalidFields, problemType } from '../errors.js'
import { clientErrorFor } from '../db/errors.js'
import { NAME_CHARACTERS_MESSAGE, NAME_PATTERN } from '../lib/names.js'
import { REQUEST_ID_HEADER } from './request-id.js'

export interface FieldError {
  path: string
  message: string
}

export interface Problem {
  type: string
  title: string
  status: number
  /** The condition, named (docs/api.md lists them). */
  code: string
  detail: string
  instance?: string
  errors?: FieldError[]
}

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

/**
 * Names each offending field as a JSON pointer from the request part (/body/events/3/status),
 * one entry per field. A nullable field's failure also fails its `null` branch and the
 * `anyOf` around both; those say nothing useful and are left out when a real reason exists.
 * A name's character rule says what it refuses rather than quoting its pattern.
 */
export function fieldErrors(context: string | undefined, validation: AjvError[]): FieldError[] {
  const byPath = new Map<string, string[]>()
  const noise = (item: AjvError): boolean =>
    item.keyword === 'anyOf' || (item.keyword === 'type' && item.params.type === 'null')
  const reasons = validation.some(item => !noise(item)) ? validation.filter(item => !noise(item)) : validation
  for (const item of reasons) {
    let path = `/${context ?? 'body'}${item.instancePath}`
    let message = item.message ?? 'is invalid'
    if (item.keyword === 'pattern' && item.params.pattern === NAME_PATTERN) message = NAME_CHARACTERS_MESSAGE
    if (item.keyword === 'required') path += `/${String(item.params.missingProperty)}`
    if (item.keyword === 'additionalProperties') {
      path += `/${String(item.params.additionalProperty)}`
      message = 'is not a known field'
    }
    const messages = byPath.get(path) ?? []
    if (!messages.includes(message)) messages.push(message)
    byPath.set(path, messages)
  }
  return [...byPath].map(([path, messages]) => ({ path, message: messages.join('; ') }))
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem)
}

/** The error handler: every error leaves as a problem. */
export function sendError(thrown: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = (clientErrorFor(thrown) ?? thrown) as FastifyError
  if (error.validation !== undefined || error instanceof InvalidFields) {
    const list =
      error instanceof InvalidFields
        ? error.fields
        : fieldErrors(error.validationContext, error.validation as AjvError[])
    return sendProblem(reply, {
      type: problemType(400, true),
      title: 'Bad Request',
      status: 400,
      code: error instanceof InvalidFields ? error.code : 'INVALID_FIELDS',
      detail: list.map(item => `${item.path} ${item.message}`).join('; '),
      errors: list
    })
  }
  const status =
    error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
  // The catalogue's own 5xx (503) are said on purpose; any other 5xx is a fault.
  const deliberate = typeof error.code === 'string' && CATALOGUE_CODES.has(error.code)
  if (status >= 500 && !deliberate) {
    request.log.error({ err: error }, 'request failed')
    return sendProblem(reply, {
      type: 'about:blank',
      title: STATUS_CODES[500] as string,
      status: 500,
      code: fallbackCode(500),
      detail: 'Internal Server Error'
    })
  }
  if (status >= 500) request.log.warn({ err: thrown }, 'request refused')
  if (status === 503) reply.header('retry-after', '1')
  return sendProblem(reply, {
    type: problemType(status),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    code: deliberate ? error.code : fallbackCode(status),
    detail: error.message
  })
}

// What the router refuses before any route, hook or error handler runs (Fastify's
// frameworkErrors): the request-id plugin's onRequest hook has not run either, so the id is
// set here, as every answer carries it, and the rate limit is applied here, as on the 404
// handler: the refusals count against the caller's address and are refused once it is spent.
const FRAMEWORK_REFUSALS: Record<string, () => Error> = {
  FST_ERR_BAD_URL: () => new errors.MalformedUrl('the path is not valid percent-encoded UTF-8'),
  FST_ERR_MAX_PARAM_LENGTH: () =>
    new errors.PathSegmentTooLong('a path segment is longer than any path parameter of any route allows')
}

/** Fastify's frameworkErrors option. */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void reply.header(REQUEST_ID_HEADER, request.id)
  const refusal = (FRAMEWORK_REFUSALS[error.code]?.() ?? error) as FastifyError
  const limit = request.server.rateLimit()
  void limit
    .call(request.server, request, reply)
    // Refused by the limit (429), or its store failed: that is the answer instead.
    .then(
      () => refusal,
      (failure: FastifyError) => failure
    )
    .then(answer => sendError(answer, request, reply))
}

export default fp(
  async app => {
    app.setErrorHandler(sendError)

    // Reached when no route serves this method and path: a path other methods serve is 405 with
    // what they are (RFC 9110 §15.5.6), as a refusal counted like any other.
    app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) => {
      const path = request.url.split('?')[0] ?? ''
      const allowed = app.supportedMethods.filter(method => app.findRoute({ method, url: path }) !== null)
      if (allowed.length === 0) throw new errors.RouteNotFound(`no route ${request.method} ${path}`)
      void reply.header('allow', allowed.join(', '))
      throw new errors.MethodNotAllowed(`${path} does not serve ${request.method}; it serves ${allowed.join(', ')}`)
    })
  },
  { name: 'errors', dependencies: ['rate-limit'] }
)
