// OTLP metrics into health events, by OpenTelemetry's semantic conventions: one event per
// resource (a service instance) per export, whose measurement window is the span of the data
// points' times. What is read:
// - http.server.request.duration (or the older http.server.duration) histograms: mean latency,
//   p50/p95/p99, throughput per minute, and the share of http.response.status_code >= 500 as
//   the error rate;
// - process.cpu.utilization or system.cpu.utilization: cpu_usage_percent;
// - system.memory.utilization / system.memory.usage / process.memory.usage: memory;
// - system.filesystem.utilization / system.filesystem.usage: disk.
// Cumulative histograms become per-interval counts against the stream's previous export
// (CumulativeStreams); delta ones are used as they come. Other metrics are ignored and counted.
import type { EventTimeBounds } from '../../config.js'
import { ENVIRONMENT_MAX_LENGTH, VERSION_MAX_LENGTH, type HealthEventInputBody } from '../../schemas/health-events.js'
import { classify } from '../monitor/classify.js'
import { DEFAULT_THRESHOLDS } from '../monitor/thresholds.js'
import { mergeInto, quantile, since, type Histogram } from './histogram.js'
import { growingLru } from '../../lib/growing-lru.js'
import { nameLength, nameProblem } from '../../lib/names.js'
import { COMPONENT_NAME_MAX_LENGTH } from '../../schemas/components.js'

interface AnyValue {
  stringValue?: string
  boolValue?: boolean
  intValue?: number
  doubleValue?: number
}
interface KeyValue {
  key?: string
  value?: AnyValue
}
interface Point {
  attributes?: KeyValue[]
  startTimeUnixNano?: number
  timeUnixNano?: number
  asDouble?: number
  asInt?: number
  count?: number
  sum?: number
  bucketCounts?: number[]
  explicitBounds?: number[]
  min?: number
  max?: number
}
interface Series {
  dataPoints?: Point[]
  aggregationTemporality?: number
}
interface Metric {
  name?: string
  unit?: string
  gauge?: Series
  sum?: Series
  histogram?: Series
  exponentialHistogram?: Series
  summary?: Series
}
interface ResourceMetrics {
  resource?: { attributes?: KeyValue[] }
  scopeMetrics?: Array<{ metrics?: Metric[] }>
}
export interface ExportRequestObject {
  resourceMetrics?: ResourceMetrics[]
}

export interface MappedExport {
  events: HealthEventInputBody[]
  /** Points turned into measurements. */
  accepted: number
  /** Points refused (OTLP partial success: rejected_data_points), with why. */
  rejected: number
  rejections: string[]
  /** Points of metrics the mapping does not read, by metric name. */
  ignored: Map<string, number>
}

const CUMULATIVE = 2
const DURATION_METRICS = new Set(['http.server.request.duration', 'http.server.duration'])
const READ_METRICS = new Set([
  ...DURATION_METRICS,
  'process.cpu.utilization',
  'system.cpu.utilization',
  'system.memory.utilization',
  'system.memory.usage',
  'process.memory.usage',
  'system.filesystem.utilization',
  'system.filesystem.usage'
])
const MIB = 1024 * 1024

function scalar(value: AnyValue | undefined): string | number | boolean | undefined {
  return value?.stringValue ?? value?.intValue ?? value?.doubleValue ?? value?.boolValue
}

function attributesOf(list: KeyValue[] | undefined): Map<string, string | number | boolean> {
  const map = new Map<string, string | number | boolean>()
  for (const { key, value } of list ?? []) {
    const plain = scalar(value)
    if (key !== undefined && plain !== undefined) map.set(key, plain)
  }
  return map
}

function keyOf(attributes: Map<string, unknown>): string {
  return JSON.stringify([...attributes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

// The resource attributes a health event stores. PostgreSQL text cannot hold a NUL character,
// which OTLP strings may carry, so such a resource is refused rather than failing the insert.
const STORED_ATTRIBUTES = [
  'service.name',
  'service.namespace',
  'service.version',
  'service.instance.id',
  'deployment.environment.name',
  'deployment.environment'
]
const storedWithNul = (attributes: Map<string, unknown>): string | undefined =>
  STORED_ATTRIBUTES.find(key => {
    const value = attributes.get(key)
    return typeof value === 'string' && value.includes('\u0000')
  })

/** The attribute the event's environment comes from, if one names it. */
function environmentAttribute(attributes: Map<string, unknown>): string | undefined {
  return ['deployment.environment.name', 'deployment.environment'].find(key => attributes.has(key))
}

// The names an event takes from the resource follow the API's rule for names (src/lib/names.ts)
// and its lengths, as a health event posted to the API would: a resource breaking them is
// refused, never cut to length, since two services cut to the same 200 characters would become
// one component, and a name with a bidirectional override would read backwards wherever shown.
function nameProblemOf(attributes: Map<string, unknown>): string | undefined {
  const environment = environmentAttribute(attributes)
  const names: Array<[string, number]> = [
    ['service.name', COMPONENT_NAME_MAX_LENGTH],
    ['service.namespace', COMPONENT_NAME_MAX_LENGTH],
    ['service.version', VERSION_MAX_LENGTH],
    ...(environment === undefined ? [] : [[environment, ENVIRONMENT_MAX_LENGTH] as [string, number]])
  ]
  for (const [key, maxLength] of names) {
    const value = attributes.get(key)
    const problem = typeof value === 'string' ? nameProblem(value, maxLength) : undefined
    if (problem !== undefined) return `resource attribute ${key} ${problem}`
  }
  if (nameLength(componentName(attributes)) > COMPONENT_NAME_MAX_LENGTH)
    return `service.namespace and service.name make a component name longer than ${COMPONENT_NAME_MAX_LENGTH} characters`
  return undefined
}

const hasServiceName = (attributes: Map<string, unknown>): boolean => {
  const name = attributes.get('service.name')
  return typeof name === 'string' && name.trim() !== ''
}
const numberOf = (point: Point): number => point.asDouble ?? point.asInt ?? 0
const nanosToMs = (nanos: number): number => nanos / 1e6
const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length
const clampPercent = (value: number): number => Math.min(100, Math.max(0, value))
const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits

/** The previous export of each cumulative stream, to take the interval's counts from. Per process, bounded. */
export class CumulativeStreams {
  private readonly seen = growingLru<string, { histogram: Histogram; start: number; timeMs: number }>(100_000)

  /** The interval's histogram and where the interval starts. */
  delta(key: string, histogram: Histogram, startMs: number, timeMs: number): { histogram: Histogram; fromMs: number } {
    const previous = this.seen.get(key)
    this.seen.set(key, { histogram, start: startMs, timeMs })
    if (previous !== undefined && previous.start === startMs && previous.timeMs <= timeMs) {
      const interval = since(histogram, previous.histogram)
      if (interval !== undefined) return { histogram: interval, fromMs: previous.timeMs }
    }
    return { histogram, fromMs: startMs }
  }
}

/** One resource's measurements while its points are read. */
class Resource {
  fromMs = Infinity
  toMs = -Infinity
  latency: Histogram | undefined
  requests = 0
  serverErrors = 0
  processCpu = new Map<string, number[]>()
  systemCpuIdle: number[] = []
  systemCpuBusy: number[] = []
  memoryUtilization: number[] = []
  memoryBytes = new Map<string, number>()
  processMemoryBytes: number[] = []
  diskUtilization: number[] = []
  diskUsedBytes = 0
  diskReported = false

  constructor(
    readonly attributes: Map<string, string | number | boolean>,
    readonly key: string
  ) {}

  span(fromMs: number, toMs: number): void {
    this.fromMs = Math.min(this.fromMs, fromMs)
    this.toMs = Math.max(this.toMs, toMs)
  }
}

function durationScale(metric: Metric): number {
  switch (metric.unit) {
    case 's':
      return 1000
    case 'ms':
      return 1
    case 'us':
      return 0.001
    default:
      return metric.name === 'http.server.duration' ? 1 : 1000
  }
}

/** Event time's lateness rule (docs/event-time.md) as OTLP states it: a reason, or undefined within the bounds. */
function outsideBounds(timeMs: number, bounds: EventTimeBounds, arrival: number): string | undefined {
  if (timeMs < arrival - bounds.maxLatenessMs)
    return 'time_unix_nano is before the lateness bound (EVENT_MAX_LATENESS_MINUTES)'
  if (timeMs > arrival + bounds.maxFutureSkewMs)
    return 'time_unix_nano is past the future skew bound (EVENT_MAX_FUTURE_SKEW_SECONDS)'
  return undefined
}

export function mapExport(
  request: ExportRequestObject,
  organizationId: string | null,
  streams: CumulativeStreams,
  bounds: EventTimeBounds,
  arrival: number
): MappedExport {
  const mapped: MappedExport = { events: [], accepted: 0, rejected: 0, rejections: [], ignored: new Map() }
  const reject = (points: number, why: string): void => {
    mapped.rejected += points
    if (!mapped.rejections.includes(why)) mapped.rejections.push(why)
  }
  const resources = new Map<string, Resource>()

  for (const resourceMetrics of request.resourceMetrics ?? []) {
    const attributes = attributesOf(resourceMetrics.resource?.attributes)
    const key = keyOf(attributes)
    const resource = resources.get(key) ?? new Resource(attributes, key)
    resources.set(key, resource)
    for (const scope of resourceMetrics.scopeMetrics ?? []) {
      for (const metric of scope.metrics ?? []) {
        const series = metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram ?? metric.summary
        const points = series?.dataPoints ?? []
        const name = metric.name ?? ''
        if (!READ_METRICS.has(name) || (DURATION_METRICS.has(name) && metric.histogram === undefined)) {
          mapped.ignored.set(name, (mapped.ignored.get(name) ?? 0) + points.length)
          continue
        }
        if (!hasServiceName(attributes)) {
          reject(points.length, 'resource without service.name')
          continue
        }
        const withNul = storedWithNul(attributes)
        if (withNul !== undefined) {
          reject(points.length, `resource attribute ${withNul} contains a NUL character, which cannot be stored`)
          continue
        }
        const badName = nameProblemOf(attributes)
        if (badName !== undefined) {
          reject(points.length, badName)
          continue
        }
        for (const point of points) {
          if (point.timeUnixNano === undefined || point.timeUnixNano <= 0) {
            reject(1, `${name}: data point without time_unix_nano`)
            continue
          }
          const late = outsideBounds(nanosToMs(point.timeUnixNano), bounds, arrival)
          if (late !== undefined) {
            reject(1, `${name}: ${late}`)
            continue
          }
          const problem = readPoint(resource, metric, name, point, organizationId, streams)
          if (problem === undefined) mapped.accepted++
          else reject(1, `${name}: ${problem}`)
        }
      }
    }
  }
  for (const resource of resources.values()) {
    const event = eventOf(resource, organizationId)
    if (event !== undefined) mapped.events.push(event)
  }
  return mapped
}

// What a health event's own schema refuses, the same points refuse here (partial success) rather
// than failing the whole export at the database or being stored clamped: a duration is a finite,
// non-negative number (latency_ms >= 0), a utilization a share from 0 to 1 (percentages 0-100),
// and an export counts at most what error_count holds.
const MAX_COUNT = 2_147_483_647
const UTILIZATION_METRICS = new Set([
  'process.cpu.utilization',
  'system.cpu.utilization',
  'system.memory.utilization',
  'system.filesystem.utilization'
])

/** Why a duration histogram's values cannot be durations, in ms: non-finite, negative, or bounds out of order. */
function durationProblem(histogram: Histogram): string | undefined {
  const { sum, min, max, bounds } = histogram
  for (const [field, value] of [
    ['sum', sum],
    ['min', min],
    ['max', max]
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0))
      return `${field} must be a finite, non-negative duration`
  }
  if (
    !bounds.every((bound, i) => Number.isFinite(bound) && bound >= 0 && (i === 0 || bound > (bounds[i - 1] as number)))
  )
    return 'explicit_bounds must be finite, non-negative durations in increasing order'
  return undefined
}

/** Reads one point into the resource's measurements; a reason when the point is malformed. */
function readPoint(
  resource: Resource,
  metric: Metric,
  name: string,
  point: Point,
  organizationId: string | null,
  streams: CumulativeStreams
): string | undefined {
  const timeMs = nanosToMs(point.timeUnixNano as number)
  const startMs =
    point.startTimeUnixNano === undefined || point.startTimeUnixNano <= 0 ? timeMs : nanosToMs(point.startTimeUnixNano)
  const attributes = attributesOf(point.attributes)
  const state = String(
    attributes.get('cpu.mode') ??
      attributes.get('system.cpu.state') ??
      attributes.get('process.cpu.state') ??
      attributes.get('system.memory.state') ??
      attributes.get('system.filesystem.state') ??
      attributes.get('state') ??
      ''
  )

  if (DURATION_METRICS.has(name)) {
    const bounds = point.explicitBounds ?? []
    const buckets = point.bucketCounts ?? []
    if (buckets.length > 0 && buckets.length !== bounds.length + 1)
      return 'bucket_counts must have one more entry than explicit_bounds'
    if ((point.count ?? 0) < 0 || buckets.some(count => count < 0)) return 'negative count'
    if (![point.count ?? 0, ...buckets].every(Number.isSafeInteger)) return 'counts must be whole numbers'
    const scale = durationScale(metric)
    const histogram: Histogram = {
      count: point.count ?? 0,
      sum: (point.sum ?? 0) * scale,
      bounds: bounds.map(bound => bound * scale),
      buckets: [...buckets],
      min: point.min === undefined ? undefined : point.min * scale,
      max: point.max === undefined ? undefined : point.max * scale
    }
    const problem = durationProblem(histogram)
    if (problem !== undefined) return problem
    const interval =
      metric.histogram?.aggregationTemporality === CUMULATIVE
        ? streams.delta(
            `${organizationId ?? ''}\u0000${resource.key}\u0000${name}\u0000${keyOf(attributes)}`,
            histogram,
            startMs,
            timeMs
          )
        : { histogram, fromMs: startMs }
    if (!(interval.histogram.sum >= 0))
      return 'sum is below the previous export of the stream (a cumulative sum cannot fall)'
    if (resource.requests + interval.histogram.count > MAX_COUNT)
      return `more than ${MAX_COUNT} requests in one export, beyond what a health event counts`
    resource.span(interval.fromMs, timeMs)
    const status = Number(attributes.get('http.response.status_code') ?? attributes.get('http.status_code'))
    resource.requests += interval.histogram.count
    if (status >= 500) resource.serverErrors += interval.histogram.count
    if (resource.latency === undefined)
      resource.latency = { ...interval.histogram, buckets: [...interval.histogram.buckets] }
    else mergeInto(resource.latency, interval.histogram)
    return undefined
  }

  const value = numberOf(point)
  if (!Number.isFinite(value) || value < 0) return 'value must be a non-negative number'
  if (UTILIZATION_METRICS.has(name) && value > 1)
    return 'value must be between 0 and 1 (a utilization is a share; the API refuses percentages above 100)'
  resource.span(timeMs, timeMs)
  switch (name) {
    case 'process.cpu.utilization': {
      const byState = resource.processCpu.get(state) ?? []
      byState.push(value)
      resource.processCpu.set(state, byState)
      break
    }
    case 'system.cpu.utilization':
      if (state === 'idle') resource.systemCpuIdle.push(value)
      else if (state === '') resource.systemCpuBusy.push(value)
      break
    case 'system.memory.utilization':
      if (state === '' || state === 'used') resource.memoryUtilization.push(value)
      break
    case 'system.memory.usage':
      resource.memoryBytes.set(state, (resource.memoryBytes.get(state) ?? 0) + value)
      break
    case 'process.memory.usage':
      resource.processMemoryBytes.push(value)
      break
    case 'system.filesystem.utilization':
      if (state === '' || state === 'used') resource.diskUtilization.push(value)
      break
    case 'system.filesystem.usage':
      if (state === '' || state === 'used') {
        resource.diskUsedBytes += value
        resource.diskReported = true
      }
      break
  }
  return undefined
}

function componentName(attributes: Map<string, unknown>): string {
  const name = String(attributes.get('service.name'))
  const namespace = attributes.get('service.namespace')
  return typeof namespace === 'string' && namespace !== '' ? `${namespace}.${name}` : name
}

function eventOf(resource: Resource, organizationId: string | null): HealthEventInputBody | undefined {
  if (!Number.isFinite(resource.toMs) || !hasServiceName(resource.attributes)) return undefined
  const measured: Partial<HealthEventInputBody> = {}
  const windowSeconds = Math.max(0, (resource.toMs - resource.fromMs) / 1000)
  if (resource.latency !== undefined && resource.requests > 0) {
    const latency = resource.latency
    measured.latency_ms = round(latency.sum / latency.count)
    const p50 = quantile(latency, 0.5)
    const p95 = quantile(latency, 0.95)
    const p99 = quantile(latency, 0.99)
    if (p50 !== undefined) measured.latency_p50_ms = round(Math.max(0, p50))
    if (p95 !== undefined) measured.latency_p95_ms = round(Math.max(0, p95))
    if (p99 !== undefined) measured.latency_p99_ms = round(Math.max(0, p99))
    measured.error_count = resource.serverErrors
    measured.error_rate = round(clampPercent((resource.serverErrors / resource.requests) * 100))
  }
  if (resource.latency !== undefined && windowSeconds > 0)
    measured.throughput_per_minute = round((resource.requests / windowSeconds) * 60)
  if (resource.processCpu.size > 0) {
    // Each mode (user, system) is a share of the process's CPUs; together they are its use.
    measured.cpu_usage_percent = round(
      clampPercent([...resource.processCpu.values()].reduce((sum, values) => sum + mean(values), 0) * 100)
    )
  } else if (resource.systemCpuIdle.length > 0) {
    measured.cpu_usage_percent = round(clampPercent((1 - mean(resource.systemCpuIdle)) * 100))
  } else if (resource.systemCpuBusy.length > 0) {
    measured.cpu_usage_percent = round(clampPercent(mean(resource.systemCpuBusy) * 100))
  }
  const usedBytes = resource.memoryBytes.get('used') ?? resource.memoryBytes.get('')
  const totalBytes = [...resource.memoryBytes.values()].reduce((sum, value) => sum + value, 0)
  if (resource.memoryUtilization.length > 0)
    measured.memory_usage_percent = round(clampPercent(mean(resource.memoryUtilization) * 100))
  else if (usedBytes !== undefined && resource.memoryBytes.size > 1 && totalBytes > 0)
    measured.memory_usage_percent = round(clampPercent((usedBytes / totalBytes) * 100))
  if (resource.processMemoryBytes.length > 0) measured.memory_usage_mb = round(mean(resource.processMemoryBytes) / MIB)
  else if (usedBytes !== undefined) measured.memory_usage_mb = round(usedBytes / MIB)
  if (resource.diskUtilization.length > 0)
    measured.disk_usage_percent = round(clampPercent(Math.max(...resource.diskUtilization) * 100))
  if (resource.diskReported) measured.disk_usage_mb = round(resource.diskUsedBytes / MIB)

  const from = environmentAttribute(resource.attributes)
  const environment = from === undefined ? undefined : resource.attributes.get(from)
  const version = resource.attributes.get('service.version')
  const instance = resource.attributes.get('service.instance.id')
  return {
    organization_id: organizationId,
    component_type: 'service',
    component_name: componentName(resource.attributes),
    environment: typeof environment === 'string' && environment !== '' ? environment : 'production',
    status: classify(measured, undefined, DEFAULT_THRESHOLDS).status,
    ...(typeof version === 'string' ? { component_version: version } : {}),
    ...measured,
    measurement_window_start: new Date(resource.fromMs).toISOString(),
    measurement_window_end: new Date(resource.toMs).toISOString(),
    measurement_window_seconds: Math.round(windowSeconds),
    error_types: {},
    metadata: { source: 'otlp', ...(typeof instance === 'string' ? { service_instance_id: instance } : {}) },
    tags: ['otlp']
  }
}
