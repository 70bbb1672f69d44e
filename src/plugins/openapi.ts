// The OpenAPI 3.1 document, generated from the route schemas, served at /openapi.json, with
// Swagger UI at /docs (bearer auth). Shared schemas appear as components named by their $id.
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

export const API_VERSION = '1.0.0'

export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Core314 Self-Healing Service',
        version: API_VERSION,
        description: 'Health monitoring, anomaly detection with root-cause analysis, recovery actions and self-tests for the Core314 platform. Every /v1 route takes `Authorization: Bearer <JWT>` (Supabase-compatible claims). Errors are RFC 9457 problem+json.'
      },
      servers: [],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }
        }
      },
      tags: [
        { name: 'operations', description: 'Liveness and readiness' }
      ]
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    },
    transform: ({ schema, url, route }) => {
      // Routes that admit callers need a token; say so per operation so Swagger UI sends it.
      const secured = route.config?.allow !== undefined
      return { schema: secured ? { ...schema, security: [{ bearerAuth: [] }] } as typeof schema : schema, url }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: true } })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}, { name: 'openapi' })
