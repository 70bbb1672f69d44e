// The OpenAPI 3.1 document, generated from the route schemas, served at /openapi.json, with
// Swagger UI at /docs (bearer auth). Shared schemas appear as components named by their $id.
// Every tag a route uses is declared here; what every operation says without its route saying
// it (security, the shared error responses, optional inputs) comes from openapi-contract.ts.
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { describeOperation, finishDocument } from './openapi-contract.js'

export const API_VERSION = '1.0.0'

export default fp(
  async app => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Core314 Self-Healing Service',
          version: API_VERSION,
          description:
            'Health monitoring, anomaly detection with root-cause analysis, recovery actions and self-tests for the Core314 platform. Every /v1 route takes `Authorization: Bearer <JWT>` (Supabase-compatible claims). Errors are RFC 9457 problem+json.',
          contact: { name: 'Core314 platform team' },
          license: { name: 'Proprietary', identifier: 'LicenseRef-Core314-Proprietary' }
        },
        servers: [
          { url: 'http://127.0.0.1:3000', description: 'A local instance on the default PORT' },
          { url: '/', description: 'The host serving this document' }
        ],
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description:
                'A Supabase-compatible JWT (HS256 or JWKS). The integration endpoints (/v1/integrations/*, /otlp/v1/metrics) also take an organization ingest key (c314_...); everywhere else an ingest key is 403 INGEST_KEY_NOT_ALLOWED'
            }
          }
        },
        tags: [
          { name: 'operations', description: 'Liveness and readiness probes for orchestrators; public' },
          {
            name: 'health events',
            description:
              'Health events pushed by Core314 services (latency, errors, resource use), stored one at a time or in all-or-none batches'
          },
          {
            name: 'health reports',
            description:
              'Summaries computed from health events: per-component health, unhealthy components, trends and availability'
          },
          {
            name: 'anomalies',
            description:
              'Anomalies found by detection or reported by services, with root-cause analysis, correlation and the acknowledge/resolve workflow'
          },
          {
            name: 'recovery actions',
            description:
              'Recovery actions, their approval workflow (approve, reject, cancel), execution and rollback, and the registered executors'
          },
          {
            name: 'self-healing',
            description:
              'The self-healing kill switch, healing runs on demand and the circuit breakers guarding each component'
          },
          {
            name: 'self-tests',
            description: 'Self-test results, their catalogue, baselines and trends, and running them now'
          },
          { name: 'components', description: 'The registry of monitored components and their control endpoints' },
          { name: 'monitor', description: 'The health monitor: measure every component now and store one event each' },
          {
            name: 'escalations',
            description:
              'Escalations raised when healing cannot proceed on its own, and their acknowledge/resolve workflow'
          },
          {
            name: 'decisions',
            description: 'The decision audit trail: what the engine, the detector and the monitor decided, and why'
          },
          {
            name: 'predictive-alerts',
            description: 'Forecasts of resources running out (memory, disk, connections, error budget) before they do'
          },
          {
            name: 'integrations',
            description:
              'Ingest from other tools: organization ingest keys, the Alertmanager webhook and OTLP/HTTP metrics'
          },
          {
            name: 'stream',
            description: 'Live changes as server-sent events, for the operator console and other watchers'
          },
          {
            name: 'channels',
            description:
              'Notification channels of an organization (Slack, webhook, PagerDuty), their tests and delivery history'
          },
          {
            name: 'silences',
            description: 'Silences and recurring maintenance windows that hold matching signals from automatic healing'
          },
          {
            name: 'deployments',
            description: 'Deploy markers: events analysis cites, rollback targets, and a short maintenance window each'
          },
          {
            name: 'runbooks',
            description:
              "An organization's runbooks as code (JSON or YAML, versioned), their dry runs, and the runs the engine makes of them"
          }
        ]
      },
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`)
      },
      transform: describeOperation,
      transformObject: finishDocument
    })
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: true } })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'openapi' }
)
