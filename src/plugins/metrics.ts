// Prometheus metrics at /metrics: HTTP requests per route (count and latency), database
// work in flight against the pool size, job runs/failures/skips, and process metrics. The
// domain's own (anomalies, actions, escalations...) are added by the domain-metrics plugin.
// Jobs are labelled `job_name`: `job` is the label Prometheus gives every target it scrapes,
// and a metric carrying its own would be renamed `exported_job` at ingestion.
// prom-client directly rather than fastify-metrics: each app gets its own Registry, so two
// instances in one process (as the tests build them) never collide on the global one.
// In a worker of several (WEB_CONCURRENCY) a scrape must see the whole service, not the
// worker the connection happened to reach: `serviceMetrics` then answers instead of the
// registry, and a failure to gather is a 503 (Prometheus records a failed scrape) rather than
// one worker's figures, which would look like counters that went back.
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { FastifyError } from 'fastify'
import { errors } from '../errors.js'
import { sendError } from './errors.js'

export interface Metrics {
  registry: Registry
  dbInFlight: Gauge
  dbPoolSize: Gauge
  jobRuns: Counter<'job_name' | 'outcome'>
  jobDuration: Histogram<'job_name'>
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

export interface MetricsOptions {
  /** The whole service's metrics, when this process is one worker of several. */
  serviceMetrics?: (() => Promise<string>) | undefined
}

export default fp<MetricsOptions>(
  async (app, options) => {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    const requests = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route; its _count is the request count',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry]
    })
    const metrics: Metrics = {
      registry,
      dbInFlight: new Gauge({
        name: 'db_pool_in_use',
        help: 'Transactions holding a pool connection now (with several workers, in all of them)',
        registers: [registry]
      }),
      dbPoolSize: new Gauge({
        name: 'db_pool_size',
        help: 'Maximum connections in the pool (with several workers, their pools together)',
        registers: [registry]
      }),
      jobRuns: new Counter({
        name: 'job_runs_total',
        help: 'Job ticks by outcome: succeeded, failed, skipped_overlap, skipped_locked',
        labelNames: ['job_name', 'outcome'],
        registers: [registry]
      }),
      jobDuration: new Histogram({
        name: 'job_duration_seconds',
        help: 'Duration of job runs that executed',
        labelNames: ['job_name'],
        registers: [registry]
      })
    }
    app.decorate('metrics', metrics)

    app.addHook('onResponse', async (request, reply) => {
      // Unmatched URLs share one label, so scanning for paths cannot explode the series count.
      const route = request.routeOptions.url ?? 'unmatched'
      requests.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000
      )
    })

    const gather = options.serviceMetrics
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (gather === undefined) return await reply.type(registry.contentType).send(await registry.metrics())
      let text: string
      try {
        text = await gather()
      } catch (err) {
        request.log.warn({ err }, "metrics: gathering the workers' metrics failed")
        // Registered before the error handler (it counts every request), so it answers its
        // problem itself, with Retry-After like every 503.
        return sendError(
          new errors.MetricsUnavailable("the workers' metrics could not be gathered; try again") as FastifyError,
          request,
          reply
        )
      }
      return await reply.type(registry.contentType).send(text)
    })
  },
  { name: 'metrics' }
)
