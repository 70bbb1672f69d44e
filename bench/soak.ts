// `npm run bench:soak -- [--duration 600] [--warmup 60] [--scale 1]`: the real server (src/server.ts
// as a child process) under minutes of mixed traffic with every job running at a seconds cadence:
// single and batch ingest (some retried with their Idempotency-Key, some batches refused for one
// bad event), paginated lists, anomalies and recovery actions read, detection and healing called
// now and then, an operator approving and rejecting, and a fault rotating over the components so
// detection opens signals and healing really calls their control endpoints. The database is seeded
// with an hour of events at the traffic's own cadence first, so what the detector reads each run
// stays about the same size instead of growing from nothing. With REDIS_URL set, the components
// also get a Redis key prefix, so clear_cache acts too.
//
// It passes when no request got a 5xx or a broken connection, every acknowledged event is stored
// exactly once (each carries a unique marker in metadata), nothing refused is stored, the detect
// and heal jobs never failed, and the server's RSS did not grow past its start-up RSS plus 10%:
// the RSS at the end is within it (the maximum, and how long RSS spent above the limit, are
// printed beside it). Start-up is the RSS after a warm-up of the same traffic (not counted in
// --duration: V8 sizes its heap then). Both ends are the highest sample of their last 30 s: RSS
// swings by a third between collections (one detection run alone allocates about 40 MB), so a
// single sample could sit anywhere on that sawtooth. The server is what `npm start` runs, dist/
// (built first), with the flags it gives node (the heap limit, bench/support/server.ts): run from
// src/ through tsx, the process also held esbuild's worker thread (a second V8 isolate) and the
// transpiled sources, some 25 MB of RSS the service does not have. BENCH_NODE_ARGS adds more, such as
// `--trace-gc`, whose lines in the server log show the heap live after each full collection.
import { execFileSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createSql } from '../src/db/client.js'
import { signToken } from '../src/services/auth/tokens.js'
import { startControlEndpoint } from '../test/helpers/control-endpoint.js'
import { benchDatabase } from './support/database.js'
import { startServer } from './support/server.js'
import { teardowns } from './support/teardowns.js'
import { paced, sleep, Traffic, type Answer } from './support/traffic.js'

const BENCH_PORT = 54393
const COMPONENTS = 300
/** Components owned by the soak's user (the rest are system rows), so user reads go through RLS. */
const USER_COMPONENTS = 30
/** Each component reports about this often, through single and batch ingest alike. */
const CADENCE_S = 10
/** History written before the start at the same cadence: a full detection window and more. */
const SEED_MINUTES = 60
const BATCH_SIZE = 50
const BATCH_EVERY_S = 5
/** The fault rotates over the first FAULTY components, one at a time. */
const FAULTY = 24
/** Share of single events sent by the component at fault while its fault lasts. */
const FAULT_SHARE = 0.25
const FAULT_PERIOD_MS = 20_000
const FAULT_LENGTH_MS = 10_000
const RSS_SAMPLE_MS = 1_000
/** RSS is compared as the top of its GC sawtooth over this long, never as one sample. */
const RSS_ENVELOPE_MS = 30_000
const RSS_ALLOWANCE = 1.1
// A Standard Webhooks secret (whsec_ + base64), the form PUT /v1/components accepts.
const CONTROL_SECRET = `whsec_${Buffer.from('soak-control-secret-0123456789abcdef').toString('base64')}`

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '600' },
    warmup: { type: 'string', default: '60' },
    scale: { type: 'string', default: '1' }
  }
})
const durationS = Number(args.duration)
const warmupS = Number(args.warmup)
const scale = Number(args.scale)
if (!(durationS > 0) || !(warmupS >= 0) || !(scale > 0))
  throw new Error('--duration and --scale must be positive, --warmup zero or more (seconds)')

const organizationId = randomUUID()
const userId = randomUUID()
const dataDir = path.resolve('.data/bench-soak')
await mkdir(dataDir, { recursive: true })
const cleanup = teardowns()
const database = await benchDatabase('soak', BENCH_PORT)
cleanup.teardown(database.close)
const control = await startControlEndpoint(cleanup, { secret: CONTROL_SECRET })

// The detector reads the window and the history before it: seeding both at the traffic's own
// cadence keeps what it reads about the same size from start to end, as in a service long up.
const owner = createSql(database.url, { max: 1 })
cleanup.teardown(async () => {
  await owner.end()
})
await owner`
  insert into system_health_events (user_id, organization_id, component_type, component_name, status, created_at,
    latency_ms, error_rate, cpu_usage_percent, memory_usage_percent)
  select case when c < ${USER_COMPONENTS} then ${userId}::uuid end, case when c < ${USER_COMPONENTS} then ${organizationId}::uuid end,
    'edge_function', 'soak-c' || lpad(c::text, 3, '0'), 'healthy', now() - make_interval(secs => s + random() * ${CADENCE_S}),
    round((120 + (random() * 2 - 1) * 30)::numeric, 2), round((0.3 + (random() * 2 - 1) * 0.2)::numeric, 2),
    round((35 + (random() * 2 - 1) * 10)::numeric, 2), round((50 + (random() * 2 - 1) * 5)::numeric, 2)
  from generate_series(0, ${COMPONENTS - 1}) c, generate_series(0, ${SEED_MINUTES * 60 - CADENCE_S}, ${CADENCE_S}) s`

console.log('building dist/ (npm run build) ...')
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
const jwtSecret = randomBytes(32).toString('hex')
const logFile = path.join(dataDir, 'server.log')
const server = await startServer(
  {
    DATABASE_URL: database.url,
    JWT_SECRET: jwtSecret,
    SECRETS_KEY: jwtSecret,
    PORT: '0',
    RATE_LIMIT_MAX: '10000000',
    JOBS_ENABLED: 'true',
    MONITOR_CRON: '*/10 * * * * *',
    DETECT_CRON: '*/5 * * * * *',
    HEAL_CRON: '2-59/5 * * * * *',
    SELFTEST_CRON: '*/30 * * * * *',
    MAINTENANCE_CRON: '45 * * * * *',
    // Once a minute, like the other jobs on a seconds cadence, so the warm-up holds a forecast
    // run too: at its default (every 5 minutes) the first run fell after the warm-up and lifted
    // RSS by ~60 MB at once, growth the start-up figure had never seen.
    PREDICT_CRON: '20 * * * * *',
    HEAL_VERIFY_DELAY_SECONDS: '10',
    HEAL_COOLDOWN_SECONDS: '30',
    HEAL_APPROVAL_TTL_SECONDS: '30',
    HEAL_MAX_ACTIONS_PER_HOUR: '120',
    HEAL_BUDGET_PER_MINUTE: '60',
    // The control endpoint listens on loopback, which targets may name only when allowed.
    HEAL_ALLOWED_TARGETS: '127.0.0.1',
    ESCALATION_WEBHOOK_URL: control.url.replace(/\/control$/, '/escalations'),
    ESCALATION_WEBHOOK_SECRET: CONTROL_SECRET
  },
  logFile,
  { built: true, nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(arg => arg !== '') }
)

const service = await signToken(jwtSecret, { role: 'service_role' })
const admin = await signToken(jwtSecret, {
  sub: randomUUID(),
  role: 'authenticated',
  app_metadata: { role: 'admin', organization_id: organizationId }
})
const user = await signToken(jwtSecret, {
  sub: userId,
  role: 'authenticated',
  app_metadata: { organization_id: organizationId }
})
const traffic = new Traffic(server.address)
const runTag = randomBytes(3).toString('hex')
const names = Array.from({ length: COMPONENTS }, (_, i) => `soak-c${String(i).padStart(3, '0')}`)

for (const [i, name] of names.entries()) {
  const redis =
    process.env.REDIS_URL === undefined || process.env.REDIS_URL === ''
      ? {}
      : { redis_url: process.env.REDIS_URL, key_prefix: `core314-soak:${runTag}:${name}:` }
  const res = await traffic.request('setup', 'PUT', `/v1/components/${name}`, {
    token: service,
    body: {
      // A component is its organization's: the user's components are the organization's, the
      // rest the platform's, as their events are (organization_id null).
      organization_id: i < USER_COMPONENTS ? organizationId : null,
      component_type: 'edge_function',
      webhook_url: control.url,
      webhook_secret: CONTROL_SECRET,
      ...redis
    }
  })
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`registering ${name}: ${res.status} ${JSON.stringify(res.body)}`)
}

// Markers: acknowledged (2xx), refused (4xx: must never be stored), unknown (no answer: stored at most once).
const acknowledged = new Set<string>()
const refused = new Set<string>()
const unknown = new Set<string>()
const replayMismatches: string[] = []
const recentIds: string[] = []
let sequence = 0
const started = Date.now()
const warmupEnds = started + warmupS * 1000
const trafficEnds = warmupEnds + durationS * 1000
const done = (): boolean => Date.now() >= trafficEnds

const jitter = (base: number, spread: number): number =>
  Math.round((base + (Math.random() * 2 - 1) * spread) * 100) / 100

/** One event for component i now: healthy, unless the rotating fault is on it. */
function event(i: number): Record<string, unknown> {
  sequence += 1
  const marker = `${runTag}:${sequence}`
  const name = names[i] as string
  const owned = i < USER_COMPONENTS ? { user_id: userId, organization_id: organizationId } : {}
  const base = {
    ...owned,
    component_type: 'edge_function',
    component_name: name,
    status: 'healthy',
    latency_ms: jitter(120, 30),
    error_rate: jitter(0.3, 0.2),
    cpu_usage_percent: jitter(35, 10),
    memory_usage_percent: jitter(50, 5),
    metadata: { soak: marker }
  }
  const period = Math.floor((Date.now() - started) / FAULT_PERIOD_MS)
  if (faulty() !== i) return base
  switch (period % 4) {
    case 0:
      return { ...base, status: 'unhealthy', latency_ms: jitter(5000, 200), last_error_message: 'upstream timed out' }
    case 1:
      return { ...base, status: 'degraded', cpu_usage_percent: jitter(99, 0.5) }
    case 2:
      return { ...base, status: 'unhealthy', error_rate: jitter(40, 5), last_error_message: 'HTTP 502 from payments' }
    default:
      return { ...base, status: 'degraded', latency_ms: jitter(3600, 100) }
  }
}

/** The component at fault now, if any: each in turn for FAULT_LENGTH_MS of every FAULT_PERIOD_MS. */
function faulty(): number | undefined {
  const elapsed = Date.now() - started
  return elapsed % FAULT_PERIOD_MS < FAULT_LENGTH_MS ? Math.floor(elapsed / FAULT_PERIOD_MS) % FAULTY : undefined
}

const markerOf = (e: Record<string, unknown>): string => (e.metadata as { soak: string }).soak
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T

function settle(markers: string[], res: Answer): void {
  const into =
    res.status >= 200 && res.status < 300 ? acknowledged : res.status === 0 || res.status >= 500 ? unknown : refused
  for (const marker of markers) into.add(marker)
}

async function ingestSingle(): Promise<void> {
  const atFault = faulty()
  const e = event(
    atFault !== undefined && Math.random() < FAULT_SHARE ? atFault : Math.floor(Math.random() * COMPONENTS)
  )
  const retried = Math.random() < 0.1
  const headers = retried ? { 'idempotency-key': `soak-${markerOf(e)}` } : undefined
  const res = await traffic.request('ingest_single', 'POST', '/v1/health-events', { token: service, body: e, headers })
  settle([markerOf(e)], res)
  const id = (res.body as { id?: string }).id
  if (typeof id === 'string') recentIds.push(id)
  if (recentIds.length > 500) recentIds.splice(0, 250)
  if (!retried || res.status !== 201) return
  const again = await traffic.request('ingest_replay', 'POST', '/v1/health-events', {
    token: service,
    body: e,
    headers
  })
  if (
    again.status !== 201 ||
    (again.body as { id?: string }).id !== id ||
    again.headers?.get('idempotent-replayed') !== 'true'
  ) {
    replayMismatches.push(`${markerOf(e)}: ${again.status} ${JSON.stringify(again.body).slice(0, 200)}`)
  }
}

async function ingestBatch(): Promise<void> {
  const events = Array.from({ length: BATCH_SIZE }, () => event(Math.floor(Math.random() * COMPONENTS)))
  const roll = Math.random()
  const spoiled = Math.floor(Math.random() * BATCH_SIZE)
  if (roll < 0.05) events[spoiled] = { ...events[spoiled], status: 'exploded' }
  const key = roll > 0.9 ? `soak-batch-${markerOf(events[0] as Record<string, unknown>)}` : undefined
  const headers = key === undefined ? undefined : { 'idempotency-key': key }
  const res = await traffic.request('ingest_batch', 'POST', '/v1/health-events/batch', {
    token: service,
    body: { events },
    headers
  })
  settle(events.map(markerOf), res)
  if (key === undefined || res.status !== 201) return
  const again = await traffic.request('ingest_batch_replay', 'POST', '/v1/health-events/batch', {
    token: service,
    body: { events },
    headers
  })
  if (
    again.status !== 201 ||
    JSON.stringify((again.body as { ids?: string[] }).ids) !== JSON.stringify((res.body as { ids?: string[] }).ids)
  ) {
    replayMismatches.push(`batch ${key}: ${again.status}`)
  }
}

async function pages(kind: string, path: string, token: string, count: number): Promise<void> {
  let cursor: string | null = null
  for (let page = 0; page < count; page += 1) {
    const separator = path.includes('?') ? '&' : '?'
    const res = await traffic.request(
      kind,
      'GET',
      cursor === null ? path : `${path}${separator}cursor=${encodeURIComponent(cursor)}`,
      { token }
    )
    cursor = (res.body as { next_cursor?: string | null }).next_cursor ?? null
    if (cursor === null) return
  }
}

async function readEvents(): Promise<void> {
  const roll = Math.random()
  if (roll < 0.4) await pages('list_events', '/v1/health-events?limit=100', service, 3)
  else if (roll < 0.6) await pages('list_events', `/v1/health-events?limit=50&component_name=${pick(names)}`, admin, 2)
  else if (roll < 0.8) await pages('list_events_user', '/v1/health-events?limit=50', user, 2)
  else if (recentIds.length > 0)
    await traffic.request('get_event', 'GET', `/v1/health-events/${pick(recentIds)}`, { token: service })
}

async function readAnomalies(): Promise<void> {
  const roll = Math.random()
  if (roll < 0.4) await pages('list_anomalies', '/v1/anomalies?limit=50', admin, 2)
  else if (roll < 0.6) await traffic.request('list_anomalies', 'GET', '/v1/anomalies/active', { token: service })
  else if (roll < 0.8) await pages('list_actions', '/v1/recovery-actions?limit=50', admin, 2)
  else await traffic.request('health_summary', 'GET', '/v1/health/summary', { token: user })
}

async function operate(): Promise<void> {
  const roll = Math.random()
  if (roll < 0.35) {
    await traffic.request('detect', 'POST', '/v1/anomalies/detect', { token: service, body: {} })
  } else if (roll < 0.55) {
    await traffic.request('heal_run', 'POST', '/v1/self-healing/run', { token: service, body: {} })
  } else {
    const res = await traffic.request('list_actions', 'GET', '/v1/recovery-actions/pending?limit=20', { token: admin })
    const waiting = Array.isArray(res.body)
      ? (res.body as Array<{ id: string; approval_status?: string; execution_status?: string }>).filter(
          a => a.execution_status === 'pending_approval'
        )
      : []
    const chosen = waiting[0]
    if (chosen !== undefined)
      await traffic.request(
        'approve_reject',
        'POST',
        `/v1/recovery-actions/${chosen.id}/${Math.random() < 0.5 ? 'approve' : 'reject'}`,
        { token: admin, body: { notes: 'soak operator' } }
      )
  }
}

// Memory: the RSS of the server's processes (the primary and its workers) every RSS_SAMPLE_MS;
// from /metrics every 5 s, what V8 holds (heap used and committed) and the memory outside its
// heap that Node accounts for (Buffers), to say where any growth is.
type Sample = { at: number; bytes: number }
const rss: Sample[] = []
const heapUsed: Sample[] = []
const heapTotal: Sample[] = []
const newSpace: Sample[] = []
const oldSpace: Sample[] = []
const external: Sample[] = []
const gauge = (text: string, name: string): number | undefined => {
  const value = new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]
  return value === undefined ? undefined : Number(value)
}
async function sampleMemory(): Promise<void> {
  let tick = 0
  while (!done()) {
    const bytes = await server.rss()
    if (bytes === undefined) return
    rss.push({ at: Date.now(), bytes })
    if (tick % 5 === 0) {
      const text = String((await traffic.request('metrics', 'GET', '/metrics')).body)
      for (const [series, name] of [
        [heapUsed, 'nodejs_heap_size_used_bytes'],
        [heapTotal, 'nodejs_heap_size_total_bytes'],
        [newSpace, 'nodejs_heap_space_size_total_bytes{space="new"}'],
        [oldSpace, 'nodejs_heap_space_size_total_bytes{space="old"}'],
        [external, 'nodejs_external_memory_bytes']
      ] as const) {
        const bytes = gauge(text, name)
        if (bytes !== undefined) series.push({ at: Date.now(), bytes })
      }
    }
    tick += 1
    await sleep(RSS_SAMPLE_MS)
  }
}

console.log(
  `soak ${runTag}: ${server.address}, warm-up ${warmupS} s, then ${durationS} s measured; server log ${logFile}`
)
const progress = setInterval(() => {
  const mb = ((rss.at(-1)?.bytes ?? 0) / 2 ** 20).toFixed(0)
  console.log(
    `  ${Math.round((Date.now() - started) / 1000)} s: ${traffic.total()} requests, ${acknowledged.size} events acknowledged, 5xx ${traffic.serverErrors}, RSS ${mb} MB`
  )
}, 30_000)
// Several loops per kind, so a slow answer delays one loop and the rate holds.
const loops = (count: number, perSecond: number, op: () => Promise<void>): Array<Promise<void>> =>
  Array.from({ length: count }, async () => await paced((perSecond * scale) / count, done, op))
await Promise.all([
  ...loops(4, COMPONENTS / CADENCE_S - BATCH_SIZE / BATCH_EVERY_S, ingestSingle),
  ...loops(1, 1 / BATCH_EVERY_S, ingestBatch),
  ...loops(3, 6, readEvents),
  ...loops(2, 4, readAnomalies),
  ...loops(1, 0.2, operate),
  sampleMemory()
])
clearInterval(progress)
const trafficSeconds = (Date.now() - started) / 1000

// Let the jobs finish what the traffic started, then drain and stop the server.
await sleep(6_000)
const endedEarly = server.ended()
const serverErrorLogLines = server.errorCount()
const exitCode = await server.stop()

const stored = new Map<string, number>()
for (const row of await owner<
  Array<{ marker: string; n: number }>
>`select metadata->>'soak' as marker, count(*)::int as n from system_health_events where metadata ? 'soak' group by 1`)
  stored.set(row.marker, row.n)
const jobs = await owner<
  Array<{ job_name: string; run_count: number; failure_count: number }>
>`select job_name, run_count::int, failure_count::int from job_runs order by job_name`
const detections = await owner<Array<{ actor: string; n: number; p50: number; p99: number; max: number }>>`
  select case when actor = 'detect-job' then 'job' else 'route' end as actor, count(*)::int as n,
    percentile_cont(0.5) within group (order by duration_ms)::float8 as p50, percentile_cont(0.99) within group (order by duration_ms)::float8 as p99, max(duration_ms)::float8 as max
  from decision_audit_log where decision_type = 'anomaly_detection_run' group by 1 order by 1`
const signals = await owner<
  Array<{ anomaly_type: string; status: string; n: number }>
>`select anomaly_type, status, count(*)::int as n from anomaly_signals group by 1, 2 order by 1, 2`
const actions = await owner<Array<{ action_type: string; execution_status: string; held: string | null; n: number }>>`
  select action_type, execution_status, case when execution_error_code like 'HELD_%' then execution_error_code end as held, count(*)::int as n
  from recovery_actions group by 1, 2, 3 order by 1, 2, 3`
const [escalations] = await owner<Array<{ n: number }>>`select count(*)::int as n from escalation_events`

// Exactly once: acknowledged stored once, refused never, unanswered at most once, nothing else.
const lost = [...acknowledged].filter(marker => stored.get(marker) !== 1)
const storedRefused = [...refused].filter(marker => stored.has(marker))
const twice = [...stored.entries()].filter(([, n]) => n > 1)
const strangers = [...stored.keys()].filter(
  marker => !acknowledged.has(marker) && !unknown.has(marker) && !refused.has(marker)
)
const unknownStored = [...unknown].filter(marker => stored.has(marker)).length

// NaN, never -Infinity, over a span without samples (the server gone): the RSS criterion then fails.
const peak = (samples: Sample[], from: number, to: number): number => {
  const within = samples.filter(sample => sample.at >= from && sample.at < to).map(sample => sample.bytes)
  return within.length === 0 ? Number.NaN : Math.max(...within)
}
const startRss = peak(rss, warmupEnds - RSS_ENVELOPE_MS, warmupEnds)
const maxRss = peak(rss, warmupEnds, trafficEnds)
const firstRss = peak(rss, warmupEnds, warmupEnds + RSS_ENVELOPE_MS)
const endRss = peak(rss, trafficEnds - RSS_ENVELOPE_MS, trafficEnds)
const limitRss = startRss * RSS_ALLOWANCE
const perMinute = (samples: Sample[]): string =>
  Array.from({ length: Math.ceil((trafficEnds - started) / 60_000) }, (_, m) =>
    (peak(samples, started + m * 60_000, Math.min(trafficEnds, started + (m + 1) * 60_000)) / 2 ** 20).toFixed(0)
  ).join(', ')
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`
const jobOf = (name: string): { run_count: number; failure_count: number } =>
  jobs.find(job => job.job_name === name) ?? { run_count: 0, failure_count: 0 }
const webhookPosts = control.requests.filter(request => request.method === 'POST' && request.path === '/control')
const escalationPosts = control.requests.filter(request => request.method === 'POST' && request.path === '/escalations')

const criteria: Array<[string, boolean]> = [
  [`the server stayed up through the traffic (${endedEarly ?? 'it did'})`, endedEarly === undefined],
  [
    `no 5xx and no broken connection (5xx ${traffic.serverErrors}, connection errors ${traffic.connectionErrors})`,
    traffic.serverErrors === 0 && traffic.connectionErrors === 0
  ],
  [
    `every acknowledged event stored exactly once (${acknowledged.size} acknowledged, ${lost.length} not stored once)`,
    lost.length === 0
  ],
  [
    `no event stored twice, none refused stored, none unknown (${twice.length}, ${storedRefused.length}, ${strangers.length})`,
    twice.length === 0 && storedRefused.length === 0 && strangers.length === 0
  ],
  [
    `Idempotency-Key retries replayed the first answer (${replayMismatches.length} mismatches)`,
    replayMismatches.length === 0
  ],
  [
    `detect and heal jobs ran and never failed (detect ${jobOf('detect').run_count}/${jobOf('detect').failure_count} failed, heal ${jobOf('heal').run_count}/${jobOf('heal').failure_count} failed)`,
    jobOf('detect').run_count > 0 &&
      jobOf('heal').run_count > 0 &&
      jobOf('detect').failure_count === 0 &&
      jobOf('heal').failure_count === 0
  ],
  [`RSS at the end ${mb(endRss)} within start-up ${mb(startRss)} + 10% = ${mb(limitRss)}`, endRss <= limitRss],
  [`SIGTERM drained and exited 0 (exit ${String(exitCode)})`, exitCode === 0]
]

console.log(
  `\nsoak figures (run ${runTag}; ${durationS} s measured after a ${warmupS} s warm-up of the same traffic; scale ${scale})\n`
)
console.log(
  `traffic: ${trafficSeconds.toFixed(0)} s, ${traffic.total()} requests (${(traffic.total() / trafficSeconds).toFixed(1)}/s)`
)
console.log('kind                     count     /s     p50 ms    p99 ms   statuses')
for (const row of traffic.figures(trafficSeconds)) {
  console.log(
    `${row.kind.padEnd(22)} ${String(row.count).padStart(7)} ${row.perSecond.toFixed(2).padStart(7)} ${row.p50.toFixed(1).padStart(9)} ${row.p99.toFixed(1).padStart(9)}   ${row.statuses}`
  )
}
console.log(
  `\nevents: ${acknowledged.size} acknowledged (${(acknowledged.size / trafficSeconds).toFixed(1)}/s), ${stored.size} distinct markers stored; refused ${refused.size} (stored ${storedRefused.length}); unanswered ${unknown.size} (stored ${unknownStored}); stored twice ${twice.length}`
)
console.log(
  `jobs (job_runs: runs/failed): ${jobs.map(job => `${job.job_name} ${job.run_count}/${job.failure_count}`).join(', ')}`
)
for (const row of detections)
  console.log(
    `detection runs by ${row.actor}: ${row.n}, duration p50 ${row.p50.toFixed(0)} ms, p99 ${row.p99.toFixed(0)} ms, max ${row.max} ms`
  )
console.log(`signals: ${signals.map(row => `${row.anomaly_type}/${row.status} ${row.n}`).join(', ')}`)
console.log(
  `recovery actions: ${actions.map(row => `${row.action_type}/${row.execution_status}${row.held === null ? '' : `(${row.held})`} ${row.n}`).join(', ')}`
)
console.log(
  `control endpoint: ${webhookPosts.length} signed POSTs (${webhookPosts.filter(r => !r.signatureValid).length} bad signatures), ${control.effects.length} keys acted on (actions and escalations), once each; escalations ${escalations?.n ?? 0} stored, ${escalationPosts.length} delivered`
)
console.log(
  `RSS (peaks over 30 s): start-up (end of warm-up) ${mb(startRss)}, first 30 s measured ${mb(firstRss)}, max after it ${mb(maxRss)}, end ${mb(endRss)}, limit ${mb(limitRss)}; first sample ${mb(rss[0]?.bytes ?? Number.NaN)}, last ${mb(rss.at(-1)?.bytes ?? Number.NaN)}`
)
console.log('peak per minute (MB), warm-up first:')
console.log(`  RSS              ${perMinute(rss)}`)
console.log(`  V8 heap used     ${perMinute(heapUsed)}`)
console.log(`  V8 heap total    ${perMinute(heapTotal)}`)
console.log(`    new space      ${perMinute(newSpace)}`)
console.log(`    old space      ${perMinute(oldSpace)}`)
console.log(`  external memory  ${perMinute(external)}`)
console.log(`server log lines at level error or above: ${serverErrorLogLines}`)
for (const line of server.errorLines.slice(0, 5)) console.log(`  ${line.slice(0, 400)}`)
for (const failure of traffic.failures)
  console.log(
    `  ${failure.at} ${failure.kind} ${failure.method} ${failure.path} -> ${failure.status} ${failure.detail}`
  )
for (const mismatch of replayMismatches.slice(0, 5)) console.log(`  replay mismatch ${mismatch}`)
console.log('')
for (const [label, ok] of criteria) console.log(`${ok ? 'PASS' : 'FAIL'}  ${label}`)
const overMs = rss.filter(sample => sample.at >= warmupEnds && sample.bytes > limitRss).length * RSS_SAMPLE_MS
console.log(
  `${maxRss <= limitRss ? 'NOTE' : 'NOTE  above the limit'}  RSS max ${mb(maxRss)}, ${((maxRss / startRss - 1) * 100).toFixed(1)}% over start-up; samples above the limit: ${(overMs / 1000).toFixed(0)} s of ${durationS} s`
)
const passed = criteria.every(([, ok]) => ok)
console.log(`\nverdict: ${passed ? 'PASS' : 'FAIL'}`)
await cleanup.run()
process.exit(passed ? 0 : 1)
