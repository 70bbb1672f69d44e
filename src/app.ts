// buildApp(config) assembles the service and returns it ready, without listening: the
// process entry listens, tests inject. Plugins are registered in dependency order.
import type { IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import proxyAddr from '@fastify/proxy-addr'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.js'
import { readMigrations } from './db/migrate.js'
import { sharedSchemas } from './schemas/index.js'
import { COMPONENT_NAME_MAX_LENGTH } from './schemas/components.js'
import draining from './plugins/draining.js'
import metrics from './plugins/metrics.js'
import domainMetrics from './plugins/domain-metrics.js'
import requestId, { requestIdOf } from './plugins/request-id.js'
import { currentRequestId } from './request-context.js'
import { RequestLog } from './request-log.js'
import db from './plugins/db.js'
import schemaCompilers from './plugins/schema-compilers.js'
import rateLimit from './plugins/rate-limit.js'
import errors, { frameworkError } from './plugins/errors.js'
import negotiation from './plugins/negotiation.js'
import jsonBody from './plugins/json-body.js'
import nulBytes from './plugins/nul-bytes.js'
import queryPeriod from './plugins/query-period.js'
import auth from './plugins/auth.js'
import openapi from './plugins/openapi.js'
import optionalBody from './plugins/optional-body.js'
import healing from './plugins/healing.js'
import jobs from './plugins/jobs.js'
import channels from './plugins/channels.js'
import stream from './plugins/stream.js'
import type { JobDefinition } from './jobs/scheduler.js'
import { authenticateIngestKey } from './services/integrations/ingest-keys.js'
import operations from './routes/operations.js'
import v1 from './routes/v1/index.js'
import otlpMetrics from './routes/otlp/metrics.js'
import consoleAssets from './routes/console.js'

export interface AppOptions {
  /** Pool size; defaults to 10. */
  poolSize?: number
  /** Logger settings; defaults to pino at config.logLevel, pretty only on a terminal (tests pass a stream to read the lines). */
  logger?: false | { level: string; stream?: { write: (line: string) => void } }
  /** Replaces the built-in job list (tests schedule their own). */
  jobs?: JobDefinition[]
  /** In a worker of several: what /metrics serves, the whole service's metrics (src/cluster.ts). */
  serviceMetrics?: () => Promise<string>
}

export type App = FastifyInstance

type Trust = (address: string, hop: number) => boolean

// TRUST_PROXY as one function, read by Fastify for request.ip and by the rate limit for the
// address it counts a request under (src/plugins/rate-limit.ts says why it reads it itself).
// A hop count becomes a function: Fastify's number form trusts no hop at all.
function proxyTrust(trustProxy: Config['trustProxy']): Trust {
  if (trustProxy === false) return () => false
  if (typeof trustProxy === 'number') return (_address, hop) => hop < trustProxy
  return proxyAddr.compile(trustProxy)
}

// pino-pretty is an optional dependency: a production install (--omit=optional) logs JSON.
function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name)
    return true
  } catch {
    return false
  }
}

function loggerOptions(config: Config): FastifyServerOptions['logger'] & object {
  return {
    level: config.logLevel,
    // Lines logged by shared loggers (the healing engine's, the executors') during a request's
    // work carry its id too; request.log binds reqId itself, so it is not added twice.
    mixin: (_object: object, _level: number, logger: { bindings: () => Record<string, unknown> }) => {
      const reqId = currentRequestId()
      return reqId === undefined || 'reqId' in logger.bindings() ? {} : { reqId }
    },
    ...(process.stdout.isTTY && installed('pino-pretty')
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } }
      : {})
  }
}

export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  if (config.databaseUrl === undefined)
    throw new Error('buildApp needs config.databaseUrl (the server starts an embedded database first)')
  if (config.secretsKey === undefined)
    throw new Error('buildApp needs config.secretsKey (the server generates one beside an embedded database)')
  const trust = proxyTrust(config.trustProxy)
  const app = Fastify({
    logger: options.logger === false ? false : { ...loggerOptions(config), ...options.logger },
    requestIdHeader: false,
    logController: new RequestLog(),
    genReqId: requestIdOf,
    // While draining on shutdown, new requests get 503 and idle keep-alive sockets close.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    bodyLimit: 4 * 1024 * 1024,
    trustProxy: config.trustProxy === false ? false : trust,
    ajv: { customOptions: { strict: false } },
    // The router refuses a longer path segment before any route sees it, so it is sized by the
    // longest path parameter, a component name. It counts the segment percent-decoded: a name
    // sent with each `:` as %3A fits too. test/plugins/router-refusals.test.ts checks every
    // documented path parameter against it.
    routerOptions: { maxParamLength: COMPONENT_NAME_MAX_LENGTH },
    // The router's own refusals (a malformed or over-long path) as problems like any other,
    // counted by the rate limit like a 404.
    frameworkErrors: frameworkError
  }).withTypeProvider<TypeBoxTypeProvider>()

  await app.register(draining)
  await app.register(requestId)
  await app.register(metrics, { serviceMetrics: options.serviceMetrics })
  await app.register(db, {
    url: config.databaseUrl,
    poolSize: options.poolSize ?? 10,
    requestTimeoutMs: config.dbRequestTimeoutMs
  })
  await app.register(domainMetrics)
  await app.register(schemaCompilers, { schemas: sharedSchemas })
  await app.register(optionalBody)
  await app.register(rateLimit, {
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindow,
    authFailureMax: config.authFailureMax,
    redisUrl: config.redisUrl,
    clientAddress: (request: IncomingMessage) => proxyAddr(request, trust)
  })
  await app.register(auth, {
    jwtSecret: config.jwtSecret,
    jwksUrl: config.jwksUrl,
    audience: config.jwtAudience,
    issuer: config.jwtIssuer,
    ingestKeys: async key => await authenticateIngestKey(app.db, key)
  })
  await app.register(errors)
  await app.register(negotiation)
  // A route takes the rate limit and the error handler registered before it: the document and
  // Swagger UI are public routes like the others, counted by address and refused as problems.
  await app.register(openapi)
  await app.register(jsonBody)
  await app.register(nulBytes)
  await app.register(queryPeriod)
  await app.register(healing, { config })
  await app.register(stream, { config })
  await app.register(operations, { migrations: await readMigrations() })
  await app.register(v1, { prefix: '/v1', config })
  await app.register(otlpMetrics, { prefix: '/otlp', config })
  await app.register(consoleAssets)
  await app.register(channels, { config })
  await app.register(jobs, { config, ...(options.jobs === undefined ? {} : { jobs: options.jobs }) })
  await app.ready()
  return app
}
