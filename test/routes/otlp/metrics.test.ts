// POST /otlp/v1/metrics driven by the real OpenTelemetry JS SDK and its OTLP/HTTP exporters
// (protobuf and JSON) against the running service, and by hand-made exports for the edges.
import { gzipSync } from 'node:zlib'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto'
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonExporter
} from '@opentelemetry/exporter-metrics-otlp-http'
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics'
import { buildTestApp, createIngestKey, type TestApp, testConfig } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { ExportRequest, ExportResponse, PLAIN } from '../../../src/services/otlp/proto.js'

async function listen(ctx: TestApp): Promise<string> {
  await ctx.app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`
}

/** A meter provider whose exports are recorded, flushed by hand. */
function sdk(
  exporter: PushMetricExporter,
  attributes: Record<string, string>
): { provider: MeterProvider; results: ExportResult[] } {
  const results: ExportResult[] = []
  const send = exporter.export.bind(exporter)
  exporter.export = (metrics, done) => {
    send(metrics, result => {
      results.push(result)
      done(result)
    })
  }
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ resource: resourceFromAttributes(attributes), readers: [reader] })
  return { provider, results }
}

function recordTraffic(provider: MeterProvider, requests: Array<[durationSeconds: number, status: number]>): void {
  const meter = provider.getMeter('http')
  const duration = meter.createHistogram('http.server.request.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] }
  })
  for (const [seconds, status] of requests)
    duration.record(seconds, {
      'http.request.method': 'GET',
      'http.response.status_code': status,
      'http.route': '/checkout'
    })
}

t.test("the SDK's protobuf exporter pushes HTTP server metrics that become one health event per resource", async t => {
  const ctx = await buildTestApp(t)
  const base = await listen(ctx)
  const key = await createIngestKey(ctx, 'otel')
  const { provider, results } = sdk(
    new ProtoExporter({ url: `${base}/otlp/v1/metrics`, headers: { Authorization: `Bearer ${key}` } }),
    {
      'service.name': 'checkout',
      'service.namespace': 'shop',
      'service.version': '1.4.2',
      'deployment.environment.name': 'staging'
    }
  )
  t.teardown(async () => {
    await provider.shutdown().catch(() => {})
  })
  // 90 fast requests, 10 slow server errors.
  recordTraffic(provider, [
    ...Array.from({ length: 90 }, (): [number, number] => [0.02, 200]),
    ...Array.from({ length: 10 }, (): [number, number] => [0.9, 503])
  ])
  const meter = provider.getMeter('host')
  meter.createObservableGauge('process.cpu.utilization', { unit: '1' }).addCallback(result => {
    result.observe(0.3, { 'cpu.mode': 'user' })
    result.observe(0.12, { 'cpu.mode': 'system' })
  })
  meter.createObservableGauge('system.memory.utilization', { unit: '1' }).addCallback(result => {
    result.observe(0.625, { 'system.memory.state': 'used' })
    result.observe(0.375, { 'system.memory.state': 'free' })
  })
  meter.createObservableGauge('system.filesystem.utilization', { unit: '1' }).addCallback(result => {
    result.observe(0.4, { 'system.device': 'sda1' })
    result.observe(0.81, { 'system.device': 'sdb1' })
  })
  meter.createCounter('app.orders').add(3)
  await provider.forceFlush()
  t.same(
    results.map(result => result.code),
    [ExportResultCode.SUCCESS]
  )

  const sql = ownerSql(t, ctx.databaseUrl)
  const events = await sql`select * from system_health_events`
  t.equal(events.length, 1)
  const event = events[0] as Record<string, unknown>
  t.match(event, {
    organization_id: ctx.admin.organizationId,
    component_name: 'shop.checkout',
    component_type: 'service',
    component_version: '1.4.2',
    environment: 'staging',
    error_count: 10,
    tags: ['otlp']
  })
  t.equal(Number(event.error_rate), 10, '10 of 100 requests answered >= 500')
  t.ok(
    Number(event.latency_p50_ms) > 10 && Number(event.latency_p50_ms) <= 25,
    `p50 ${String(event.latency_p50_ms)} ms in the 10-25 ms bucket`
  )
  t.ok(
    Number(event.latency_p99_ms) > 750 && Number(event.latency_p99_ms) <= 1000,
    `p99 ${String(event.latency_p99_ms)} ms in the 750-1000 ms bucket`
  )
  t.equal(Number(event.latency_ms), 108, 'the mean is sum / count: (90 x 20 + 10 x 900) / 100 ms')
  t.equal(Number(event.cpu_usage_percent), 42, 'user + system')
  t.equal(Number(event.memory_usage_percent), 62.5)
  t.equal(Number(event.disk_usage_percent), 81, 'the fullest filesystem')
  t.ok(
    event.measurement_window_start !== null && event.measurement_window_end !== null,
    "the window comes from the points' times"
  )
  t.ok((event.measurement_window_end as Date).getTime() >= (event.measurement_window_start as Date).getTime())
})

t.test('cumulative exports are taken per interval; the JSON exporter with gzip is read the same way', async t => {
  const ctx = await buildTestApp(t)
  const base = await listen(ctx)
  const key = await createIngestKey(ctx, 'otel')
  const exporter = new JsonExporter({
    url: `${base}/otlp/v1/metrics`,
    headers: { Authorization: `Bearer ${key}` },
    compression: CompressionAlgorithm.GZIP,
    temporalityPreference: AggregationTemporalityPreference.CUMULATIVE
  })
  const { provider, results } = sdk(exporter, { 'service.name': 'search' })
  t.teardown(async () => {
    await provider.shutdown().catch(() => {})
  })
  recordTraffic(
    provider,
    Array.from({ length: 50 }, () => [0.02, 200])
  )
  await provider.forceFlush()
  recordTraffic(
    provider,
    Array.from({ length: 50 }, () => [0.02, 500])
  )
  await provider.forceFlush()
  t.same(
    results.map(result => result.code),
    [ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]
  )

  const sql = ownerSql(t, ctx.databaseUrl)
  const events =
    await sql`select error_count, error_rate::float8, measurement_window_start, measurement_window_end from system_health_events order by measurement_window_end`
  t.equal(events.length, 2)
  t.match(events[0], { error_count: 0, error_rate: 0 })
  t.match(
    events[1],
    { error_count: 50, error_rate: 100 },
    'the second export counts only the requests since the first, all of them errors'
  )
  t.ok(
    (events[1]?.measurement_window_start as Date).getTime() >=
      (events[0]?.measurement_window_end as Date).getTime() - 1,
    'the second window starts where the first ended'
  )
})

function handMade(
  metrics: unknown[],
  resource: Record<string, string> = { 'service.name': 'billing' }
): Record<string, unknown> {
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: Object.entries(resource).map(([key, value]) => ({ key, value: { stringValue: value } }))
        },
        scopeMetrics: [{ scope: { name: 'test' }, metrics }]
      }
    ]
  }
}

const now = (): string => `${Date.now()}000000`

t.test(
  'unknown metrics are ignored and counted; malformed points are refused as partial success; protobuf answers in protobuf',
  async t => {
    const ctx = await buildTestApp(t)
    const key = await createIngestKey(ctx, 'otel')
    const body = handMade([
      {
        name: 'jvm.gc.duration',
        unit: 's',
        histogram: {
          aggregationTemporality: 1,
          dataPoints: [{ timeUnixNano: now(), count: '1', bucketCounts: ['1'], explicitBounds: [] }]
        }
      },
      {
        name: 'system.cpu.utilization',
        gauge: { dataPoints: [{ timeUnixNano: now(), asDouble: 0.9 }, { asDouble: 0.5 }] }
      },
      {
        name: 'http.server.request.duration',
        unit: 's',
        histogram: {
          aggregationTemporality: 1,
          dataPoints: [
            {
              startTimeUnixNano: now(),
              timeUnixNano: now(),
              count: '2',
              bucketCounts: ['1', '1'],
              explicitBounds: [0.1, 0.2]
            }
          ]
        }
      }
    ])
    const encoded = Buffer.from(ExportRequest.encode(ExportRequest.fromObject(body)).finish())
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/otlp/v1/metrics',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-protobuf' },
      payload: encoded
    })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /application\/x-protobuf/)
    const answer = ExportResponse.toObject(ExportResponse.decode(res.rawPayload), PLAIN) as {
      partialSuccess: { rejectedDataPoints: number; errorMessage: string }
    }
    t.equal(
      answer.partialSuccess.rejectedDataPoints,
      2,
      'the point without a time and the histogram whose buckets do not fit its bounds'
    )
    t.match(answer.partialSuccess.errorMessage, /without time_unix_nano/)
    t.match(
      answer.partialSuccess.errorMessage,
      /ignored 1 data points of metrics not mapped to health events \(jvm.gc.duration\)/
    )
    const sql = ownerSql(t, ctx.databaseUrl)
    t.match(await sql`select component_name, cpu_usage_percent::float8, latency_ms from system_health_events`, [
      { component_name: 'billing', cpu_usage_percent: 90, latency_ms: null }
    ])

    const metricsText = await (await ctx.app.inject({ url: '/metrics' })).body
    t.match(metricsText, /otlp_data_points_total\{outcome="ignored"\} 1/)
  }
)

t.test('JSON answers in JSON; full success is an empty response', async t => {
  const ctx = await buildTestApp(t)
  const key = await createIngestKey(ctx, 'otel')
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/otlp/v1/metrics',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: handMade([
      { name: 'system.memory.utilization', gauge: { dataPoints: [{ timeUnixNano: now(), asDouble: 0.5 }] } }
    ])
  })
  t.equal(res.statusCode, 200)
  t.same(res.json(), {})
})

t.test(
  'refusals: no key, bad bodies, bad gzip, an unsupported encoding, an oversize body, and load shedding',
  async t => {
    const ctx = await buildTestApp(t, {
      integrations: { ...testConfig().integrations, otlpMaxBodyBytes: 2048, otlpMaxInFlight: 1 }
    })
    const key = await createIngestKey(ctx, 'otel')
    const post = async (payload: string | Buffer, headers: Record<string, string>) =>
      await ctx.app.inject({
        method: 'POST',
        url: '/otlp/v1/metrics',
        headers: { authorization: `Bearer ${key}`, ...headers },
        payload
      })
    t.equal(
      (
        await ctx.app.inject({
          method: 'POST',
          url: '/otlp/v1/metrics',
          headers: { 'content-type': 'application/json' },
          payload: '{}'
        })
      ).statusCode,
      401
    )
    const garbage = await post(Buffer.from([0xff, 0xff, 0xff, 0x0f]), { 'content-type': 'application/x-protobuf' })
    t.equal(garbage.statusCode, 400)
    t.match(garbage.json().detail, /not an OTLP ExportMetricsServiceRequest/)
    t.equal((await post('{"resourceMetrics": 5}', { 'content-type': 'application/json' })).statusCode, 400)
    const notGzip = await post('plain', { 'content-type': 'application/json', 'content-encoding': 'gzip' })
    t.equal(notGzip.statusCode, 400)
    const brotli = await post('{}', { 'content-type': 'application/json', 'content-encoding': 'br' })
    t.equal(brotli.statusCode, 415, 'an unsupported content coding is 415 (RFC 9110 §15.5.16)')
    t.match(brotli.json(), { status: 415, code: 'UNSUPPORTED_ENCODING' })
    t.equal(brotli.headers['accept-encoding'], 'gzip', 'naming the coding that is accepted')
    // A small gzip that inflates past the limit: refused, whatever its compressed size.
    const bomb = gzipSync(JSON.stringify({ resourceMetrics: [], padding: 'x'.repeat(100_000) }))
    t.ok(bomb.length < 2048)
    t.equal((await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' })).statusCode, 413)
    const zipped = await post(gzipSync(JSON.stringify(handMade([]))), {
      'content-type': 'application/json',
      'content-encoding': 'gzip'
    })
    t.equal(zipped.statusCode, 200)

    // One export at a time: a second one while the first holds the database is shed with 503.
    const sql = ownerSql(t, ctx.databaseUrl)
    const body = JSON.stringify(
      handMade([{ name: 'system.memory.utilization', gauge: { dataPoints: [{ timeUnixNano: now(), asDouble: 0.5 }] } }])
    )
    const lock = sql.reserve()
    const held = await lock
    await held`begin`
    await held`lock table system_health_events in exclusive mode`
    const first = post(body, { 'content-type': 'application/json' })
    // The first export is inside the service once its insert waits on the lock.
    while (
      (
        await sql`select count(*)::int as n from pg_locks where not granted and relation = 'system_health_events'::regclass`
      )[0]?.n === 0
    ) {
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    const second = await post(body, { 'content-type': 'application/json' })
    t.equal(second.statusCode, 503)
    t.equal(second.headers['retry-after'], '1')
    await held`rollback`
    held.release()
    t.equal((await first).statusCode, 200)
  }
)

t.test('points outside the event-time bounds are refused as partial success, nothing of them stored', async t => {
  const ctx = await buildTestApp(t)
  const key = await createIngestKey(ctx, 'otel')
  const at = (offsetMs: number): string => `${BigInt(Date.now() + offsetMs) * 1_000_000n}`
  const gauge = (timeUnixNano: string) => ({
    name: 'system.memory.utilization',
    gauge: { dataPoints: [{ timeUnixNano, asDouble: 0.5 }] }
  })
  const post = async (body: unknown) =>
    await ctx.app.inject({
      method: 'POST',
      url: '/otlp/v1/metrics',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: body as Record<string, unknown>
    })
  const day = 86_400_000
  const cases: Array<[string, string, RegExp]> = [
    ['an hour ahead', at(3_600_000), /future skew bound \(EVENT_MAX_FUTURE_SKEW_SECONDS\)/],
    ['eight days old', at(-8 * day), /lateness bound \(EVENT_MAX_LATENESS_MINUTES\)/],
    ['1970', '1', /lateness bound/],
    ['past 2^64 nanoseconds, which wraps', '99999999999999999999999', /lateness bound|future skew bound/]
  ]
  for (const [what, time, message] of cases) {
    const res = await post(handMade([gauge(time)], { 'service.name': `svc-${what.replace(/\W+/g, '-')}` }))
    t.equal(res.statusCode, 200, what)
    t.equal(res.json().partialSuccess?.rejectedDataPoints, 1, what)
    t.match(res.json().partialSuccess?.errorMessage, message, what)
  }
  // Within the bounds: a late point six days old and one a minute ahead are stored.
  const ok = await post(
    handMade([
      { name: 'system.memory.utilization', gauge: { dataPoints: [{ timeUnixNano: at(-6 * day), asDouble: 0.5 }] } }
    ])
  )
  t.same(ok.json(), {})
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(
    (await sql`select component_name from system_health_events`).map(row => row.component_name),
    ['billing'],
    'only the point within the bounds became an event'
  )
})

t.test('a NUL character in a stored resource attribute refuses that resource, never a 500', async t => {
  const ctx = await buildTestApp(t)
  const key = await createIngestKey(ctx, 'otel')
  const body = {
    resourceMetrics: [
      ...(handMade(
        [{ name: 'system.memory.utilization', gauge: { dataPoints: [{ timeUnixNano: now(), asDouble: 0.5 }] } }],
        {
          'service.name': 'billing',
          'service.version': 'v\u00001'
        }
      ).resourceMetrics as unknown[]),
      ...(handMade(
        [{ name: 'system.memory.utilization', gauge: { dataPoints: [{ timeUnixNano: now(), asDouble: 0.7 }] } }],
        {
          'service.name': 'orders',
          'process.command_args': 'a\u0000b'
        }
      ).resourceMetrics as unknown[])
    ]
  }
  for (const protobuf of [false, true]) {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/otlp/v1/metrics',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': protobuf ? 'application/x-protobuf' : 'application/json'
      },
      payload: protobuf ? Buffer.from(ExportRequest.encode(ExportRequest.fromObject(body)).finish()) : body
    })
    t.equal(res.statusCode, 200, protobuf ? 'protobuf' : 'JSON')
    const answer = (protobuf ? ExportResponse.toObject(ExportResponse.decode(res.rawPayload), PLAIN) : res.json()) as {
      partialSuccess: { rejectedDataPoints: number; errorMessage: string }
    }
    t.equal(answer.partialSuccess.rejectedDataPoints, 1)
    t.match(answer.partialSuccess.errorMessage, /service.version contains a NUL character/)
  }
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(
    (await sql`select component_name from system_health_events`).map(row => row.component_name),
    ['orders', 'orders'],
    'the other resource is stored; a NUL in an attribute that is not stored does not matter'
  )
})

t.test(
  'a service.name with a bidirectional override, or names longer than the API allows, refuse the resource; never cut',
  async t => {
    const ctx = await buildTestApp(t)
    const base = await listen(ctx)
    const key = await createIngestKey(ctx, 'otel')
    const { provider, results } = sdk(
      new JsonExporter({ url: `${base}/otlp/v1/metrics`, headers: { Authorization: `Bearer ${key}` } }),
      { 'service.name': '\u202Eipa-tuokcehc' }
    )
    t.teardown(async () => {
      await provider.shutdown().catch(() => {})
    })
    provider
      .getMeter('host')
      .createObservableGauge('system.memory.utilization', { unit: '1' })
      .addCallback(result => {
        result.observe(0.5)
      })
    await provider.forceFlush()
    t.same(
      results.map(result => result.code),
      [ExportResultCode.SUCCESS],
      'OTLP partial success: the exporter is not told to retry'
    )

    const point = [
      { name: 'system.memory.utilization', gauge: { dataPoints: [{ timeUnixNano: now(), asDouble: 0.5 }] } }
    ]
    const long = 'x'.repeat(150)
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'service.name': 'x'.repeat(201) }, /service.name is longer than 200 characters/],
      [
        { 'service.name': long, 'service.namespace': long },
        /service.namespace and service.name make a component name longer than 200 characters/
      ],
      [{ 'service.name': 'billing', 'service.version': 'v'.repeat(101) }, /service.version is longer than 100/],
      [
        { 'service.name': 'billing', 'deployment.environment.name': 'e'.repeat(51) },
        /environment.name is longer than 50/
      ],
      [{ 'service.name': 'billing', 'service.namespace': 'shop\u2066' }, /service.namespace must not contain control/],
      [{ 'service.name': 'billing', 'deployment.environment': 'prod\n' }, /deployment.environment must not contain/]
    ]
    for (const [resource, message] of cases) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/otlp/v1/metrics',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: handMade(point, resource)
      })
      t.equal(res.statusCode, 200)
      t.match(res.json(), { partialSuccess: { rejectedDataPoints: 1, errorMessage: message } }, String(message))
    }
    const sql = ownerSql(t, ctx.databaseUrl)
    t.same(await sql`select component_name from system_health_events`, [], 'nothing stored, nothing cut to length')
  }
)

t.test(
  'points with values a health event refuses (a utilization above 1, a negative or infinite duration, counts beyond error_count) are refused as partial success',
  async t => {
    const ctx = await buildTestApp(t)
    const base = await listen(ctx)
    const key = await createIngestKey(ctx, 'otel')
    const { provider, results } = sdk(
      new ProtoExporter({ url: `${base}/otlp/v1/metrics`, headers: { Authorization: `Bearer ${key}` } }),
      { 'service.name': 'checkout' }
    )
    t.teardown(async () => {
      await provider.shutdown().catch(() => {})
    })
    const meter = provider.getMeter('host')
    meter.createObservableGauge('system.cpu.utilization', { unit: '1' }).addCallback(result => {
      result.observe(5)
    })
    meter.createObservableGauge('system.memory.utilization', { unit: '1' }).addCallback(result => {
      result.observe(0.5, { 'system.memory.state': 'used' })
    })
    recordTraffic(provider, [[Infinity, 200]])
    await provider.forceFlush()
    t.same(
      results.map(result => result.code),
      [ExportResultCode.SUCCESS],
      'partial success: the exporter does not retry what would be refused again'
    )
    const sql = ownerSql(t, ctx.databaseUrl)
    t.same(
      (
        await sql`select cpu_usage_percent::float8, memory_usage_percent::float8, latency_ms from system_health_events`
      ).map(row => ({ ...row })),
      [{ cpu_usage_percent: null, memory_usage_percent: 50, latency_ms: null }],
      'the valid point is stored; the utilization of 5 is not clamped to 100 %, the infinite duration not stored'
    )

    const histogram = (point: Record<string, unknown>) => [
      {
        name: 'http.server.request.duration',
        unit: 's',
        histogram: { aggregationTemporality: 1, dataPoints: [{ timeUnixNano: now(), ...point }] }
      }
    ]
    const cases: Array<[unknown[], RegExp]> = [
      [histogram({ count: 10, sum: -5, bucketCounts: [10], explicitBounds: [] }), /sum must be a finite, non-negative/],
      [histogram({ count: 10, sum: 5, min: -1, bucketCounts: [10], explicitBounds: [] }), /min must be a finite/],
      [histogram({ count: 10, sum: 5, bucketCounts: [5, 5], explicitBounds: [-3] }), /explicit_bounds must be finite/],
      [histogram({ count: 10, sum: 5, bucketCounts: [4, 3, 3], explicitBounds: [2, 1] }), /in increasing order/],
      [histogram({ count: 3e9, sum: 5, bucketCounts: [3e9], explicitBounds: [] }), /more than 2147483647 requests/],
      [
        [{ name: 'system.filesystem.utilization', gauge: { dataPoints: [{ timeUnixNano: now(), asDouble: 1.5 }] } }],
        /value must be between 0 and 1/
      ]
    ]
    for (const [metrics, message] of cases) {
      const body = handMade(metrics, { 'service.name': 'billing' })
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/otlp/v1/metrics',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-protobuf' },
        payload: Buffer.from(ExportRequest.encode(ExportRequest.fromObject(body)).finish())
      })
      t.equal(res.statusCode, 200, 'never a 400 for the whole export, nor a 500')
      t.match(ExportResponse.toObject(ExportResponse.decode(res.rawPayload), PLAIN), {
        partialSuccess: { rejectedDataPoints: 1, errorMessage: message }
      })
    }
    t.same(
      await sql`select component_name from system_health_events where component_name = 'billing'`,
      [],
      'nothing of them stored'
    )
  }
)
