// Routes marked `config.optionalBody` take a request without a body as an empty object, so
// their body schema's defaults apply; the OpenAPI document says `requestBody.required: false`
// for them from the same mark (openapi-contract.ts). "Without a body" includes an empty body
// sent as application/json, which is what generated clients send when the optional body is
// left out: the JSON parser (json-body.ts) passes it on as no body for these routes only.
import fp from 'fastify-plugin'
import type { preValidationHookHandler } from 'fastify'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body may be left out; it is then validated as `{}`. */
    optionalBody?: boolean
  }
}

const emptyBodyAsObject: preValidationHookHandler = (request, _reply, done) => {
  request.body ??= {}
  done()
}

export default fp(
  async app => {
    app.addHook('onRoute', route => {
      if (route.config?.optionalBody !== true) return
      const existing =
        route.preValidation === undefined
          ? []
          : Array.isArray(route.preValidation)
            ? route.preValidation
            : [route.preValidation]
      route.preValidation = [emptyBodyAsObject, ...existing]
    })
  },
  { name: 'optional-body' }
)
