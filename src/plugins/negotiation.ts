// Accept (RFC 9110 §12.5.1): a route whose success answers come in media types the request's
// Accept admits none of answers 406 NOT_ACCEPTABLE, rather than sending what the caller said it
// cannot read. The route's types are the ones its response schema declares (JSON unless a
// response names its content), so the document and the check agree (openapi-contract.ts
// declares 406 where this applies). Routes declaring no response (the console's assets, Swagger
// UI, /metrics) answer what they are, unnegotiated. No Accept, or one naming no media range, is
// no constraint. The check runs after the rate limit, so a refusal is counted like any other.
import fp from 'fastify-plugin'
import type { FastifyContextConfig, preHandlerHookHandler } from 'fastify'
import { errors } from '../errors.js'
import { admits } from '../lib/accept.js'

type Responses = Record<string, unknown>

const isSuccess = (status: string): boolean => /^2\d\d$|^2XX$/i.test(status)

function typesOf(responses: Responses | undefined): string[] {
  return Object.entries(responses ?? {})
    .filter(([status]) => isSuccess(status))
    .flatMap(([, response]) => {
      const content = (response as { content?: Record<string, unknown> } | undefined)?.content
      return content === undefined ? ['application/json'] : Object.keys(content)
    })
}

/** The media types a route's success answers come in; empty for a route declaring none. */
export function producedTypes(
  schema: { response?: unknown } | undefined,
  documented: FastifyContextConfig['documented']
): string[] {
  const types = [
    ...typesOf(schema?.response as Responses | undefined),
    ...typesOf(documented?.response as Responses | undefined)
  ]
  return [...new Set(types)]
}

function negotiate(types: string[]): preHandlerHookHandler {
  return (request, _reply, done) => {
    if (admits(request.headers.accept, types)) return done()
    done(new errors.NotAcceptable(`this route answers ${types.join(' or ')}, which the Accept header excludes`))
  }
}

export default fp(
  async app => {
    app.addHook('onRoute', route => {
      const types = producedTypes(route.schema, route.config?.documented)
      if (types.length === 0) return
      const hook = negotiate(types)
      const existing = route.preHandler
      route.preHandler = existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook]
    })
  },
  { name: 'negotiation', dependencies: ['rate-limit', 'errors'] }
)
