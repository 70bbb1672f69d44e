// `npm run bench:otlp`: OTLP/HTTP metrics ingest against the batch API on the same data. The
// workload is exports as an OpenTelemetry SDK sends them (protobuf): each covers RESOURCES
// services, each service an http.server.request.duration histogram over 8 attribute sets plus
// CPU, memory and filesystem gauges (11 data points), which the service maps to one health
// event per service. The batch API side posts the very events that mapping produces, as a
// client that aggregated them itself would. Both at the same concurrency against one app on one
// database; prints data points and events per second for each side, and their ratio.
import { performance } from 'node:perf_hooks'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { signToken } from '../src/services/auth/tokens.js'
import { CumulativeStreams, mapExport, type ExportRequestObject } from '../src/services/otlp/map-metrics.js'
import { ExportRequest } from '../src/services/otlp/proto.js'
import type { HealthEventInputBody } from '../src/schemas/health-events.js'
import { benchDatabase } from './support/database.js'
import { reportFigure } from './support/figures.js'

const EXPORTS = Number(process.env.BENCH_EXPORTS ?? 200)
const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 50)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
const SECRET = 'bench-secret-for-core314-otlp-measurements'
const ORGANIZATION = '00000000-0000-4000-8000-000000000314'
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

const kv = (key: string, value: string | number): Record<string, unknown> => ({
  key,
  value: typeof value === 'string' ? { stringValue: value } : { intValue: value }
})

function exportOf(n: number): ExportRequestObject {
  const end = (Date.now() - (EXPORTS - n) * 1000) * 1e6
  const start = end - 60e9
  return {
    resourceMetrics: Array.from({ length: RESOURCES }, (_, r) => ({
      resource: { attributes: [kv('service.name', `svc-${r}`), kv('deployment.environment.name', 'production')] },
      scopeMetrics: [
        {
          metrics: [
            {
              name: 'http.server.request.duration',
              unit: 's',
              histogram: {
                aggregationTemporality: 1,
                dataPoints: Array.from({ length: 8 }, (_, p) => ({
                  attributes: [
                    kv('http.request.method', 'GET'),
                    kv('http.route', `/r${p % 4}`),
                    kv('http.response.status_code', p === 7 ? 503 : 200)
                  ],
                  startTimeUnixNano: start,
                  timeUnixNano: end,
                  count: 150,
                  sum: 150 * 0.04,
                  bucketCounts: [0, 10, 40, 60, 20, 10, 5, 3, 1, 1, 0, 0, 0, 0, 0],
                  explicitBounds: BOUNDS
                }))
              }
            },
            {
              name: 'process.cpu.utilization',
              gauge: { dataPoints: [{ timeUnixNano: end, asDouble: 0.3, attributes: [kv('cpu.mode', 'user')] }] }
            },
            {
              name: 'system.memory.utilization',
              gauge: {
                dataPoints: [{ timeUnixNano: end, asDouble: 0.6, attributes: [kv('system.memory.state', 'used')] }]
              }
            },
            { name: 'system.filesystem.utilization', gauge: { dataPoints: [{ timeUnixNano: end, asDouble: 0.4 }] } }
          ]
        }
      ]
    }))
  }
}

const POINTS_PER_EXPORT = RESOURCES * 11

async function run(
  label: string,
  requests: Array<{ body: Uint8Array | string; contentType: string }>,
  url: string,
  authorization: string
): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const request = requests[next++] as { body: Uint8Array | string; contentType: string }
        // fetch takes bytes as well as text; its BodyInit typing in @types/node 20 names only some forms.
        const res = await fetch(url, {
          method: 'POST',
          headers: { authorization, 'content-type': request.contentType },
          body: request.body as string
        })
        if (res.status >= 300) throw new Error(`${label}: HTTP ${res.status} ${await res.text()}`)
        await res.arrayBuffer()
      }
    })
  )
  return (performance.now() - started) / 1000
}

const database = await benchDatabase('otlp', 54413)
const config = loadConfig({
  DATABASE_URL: database.url,
  JWT_SECRET: SECRET,
  JOBS_ENABLED: 'false',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_MAX: '10000000',
  OTLP_MAX_IN_FLIGHT: String(CONCURRENCY * 2)
})
const app = await buildApp(config, { logger: false, poolSize: CONCURRENCY })
const address = await app.listen({ port: 0, host: '127.0.0.1' })
const service = `Bearer ${await signToken(SECRET, { role: 'service_role' })}`

try {
  const key = (
    await app.inject({
      method: 'POST',
      url: '/v1/ingest-keys',
      headers: { authorization: service },
      payload: { name: 'bench', organization_id: ORGANIZATION }
    })
  ).json().key as string
  const exports = Array.from({ length: EXPORTS }, (_, n) => exportOf(n))
  const otlp = exports.map(body => ({
    body: ExportRequest.encode(ExportRequest.fromObject(body)).finish(),
    contentType: 'application/x-protobuf'
  }))
  const streams = new CumulativeStreams()
  const batches = exports.map(body => ({
    body: JSON.stringify({
      events: mapExport(body, ORGANIZATION, streams, config.eventTime, Date.now()).events.map(
        (event): HealthEventInputBody => event
      )
    }),
    contentType: 'application/json'
  }))
  // Warm both paths (JIT, prepared statements, connections) before measuring.
  await run('warm-up', otlp.slice(0, 10), `${address}/otlp/v1/metrics`, `Bearer ${key}`)
  await run('warm-up', batches.slice(0, 10), `${address}/v1/health-events/batch`, service)

  const otlpSeconds = await run('OTLP', otlp, `${address}/otlp/v1/metrics`, `Bearer ${key}`)
  const batchSeconds = await run('batch API', batches, `${address}/v1/health-events/batch`, service)
  const events = EXPORTS * RESOURCES
  const points = EXPORTS * POINTS_PER_EXPORT
  console.log(
    `OTLP benchmark: ${EXPORTS} exports of ${RESOURCES} services (${POINTS_PER_EXPORT} data points, ${RESOURCES} events each) at concurrency ${CONCURRENCY}`
  )
  console.log(
    `  OTLP/HTTP protobuf       ${(points / otlpSeconds).toFixed(0).padStart(8)} data points/s  ${(events / otlpSeconds).toFixed(0).padStart(7)} events/s`
  )
  console.log(
    `  batch API (same events)  ${(points / batchSeconds).toFixed(0).padStart(8)} data points/s  ${(events / batchSeconds).toFixed(0).padStart(7)} events/s (points the events summarise)`
  )
  reportFigure({
    bench: 'otlp',
    name: 'OTLP ingest data points/s',
    value: points / otlpSeconds,
    unit: 'points/s',
    seed: '-',
    ours: '-'
  })
  reportFigure({
    bench: 'otlp',
    name: 'batch API events/s on the same data',
    value: events / batchSeconds,
    unit: 'events/s',
    seed: '-',
    ours: '-'
  })
  reportFigure({
    bench: 'otlp',
    name: 'ratio OTLP events/s over batch API events/s',
    value: batchSeconds / otlpSeconds,
    unit: '',
    seed: '-',
    ours: '-'
  })
} finally {
  await app.close()
  await database.close()
}
