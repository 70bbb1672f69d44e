// `npm run bench:ingest`: ingestion measured side by side on the same PostgreSQL, table and
// rows: (a) a raw multi-row INSERT through postgres.js (a transaction with the caller's claims
// set, as the service does) against (b) the batch API, and (c) a raw per-row transaction with
// claims against (d) single-event POSTs, all per-row sides at the same concurrency. (c) is the
// faster of two ways a hand-written client gets the same guarantees (the caller's role and
// claims in force for the row, committed when it returns) in one round trip: (c1) BEGIN, the
// settings, the INSERT and COMMIT pipelined in one write on a reserved connection, and (c2)
// the single statement the service itself sends, straight on the pool; so d/c is what the
// HTTP layer costs, not a slower raw side. The HTTP client runs in a process of its own
// (support/http-load.ts), as callers do. Prints each rate, p50/p99 latency, and the ratios
// b/a and d/c (target >= 0.6, aim 0.8).
import { randomUUID } from 'node:crypto'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createSql, type Sql } from '../src/db/client.js'
import { claimsText, withCaller, SERVICE_CALLER } from '../src/db/caller.js'
import { insertHealthEventAs, insertHealthEventIds } from '../src/db/health-events.js'
import { signToken } from '../src/services/auth/tokens.js'
import { HEALTH_EVENT_COLUMNS, type HealthEventInputBody } from '../src/schemas/health-events.js'
import { benchDatabase, percentile } from './support/database.js'
import { reportFigure } from './support/figures.js'
import { runLoad } from './support/http-load.js'

const BATCHES = Number(process.env.BENCH_BATCHES ?? 30)
const BATCH_SIZE = 1000
// Rounds of 5,000 events lasted under a second a side and their ratio swung with JIT tier-up
// and scheduling (d/c 0.57-0.66 on a quiet machine); 20,000 give each side several seconds.
const SINGLES = Number(process.env.BENCH_SINGLES ?? 20000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
// The per-row sides take turns in this many rounds, so load from elsewhere on a shared
// machine falls on all of them alike rather than on whichever ran while it lasted.
const ROUNDS = 3
const SECRET = 'bench-secret-for-core314-ingest-measurements'

function event(i: number): HealthEventInputBody {
  return {
    user_id: randomUUID(),
    organization_id: '00000000-0000-4000-8000-000000000314',
    component_type: 'edge_function',
    component_name: `fn-${i % 500}`,
    environment: 'production',
    status: i % 50 === 0 ? 'degraded' : 'healthy',
    latency_ms: 50 + (i % 200),
    latency_p50_ms: 40,
    latency_p95_ms: 300,
    latency_p99_ms: 900,
    throughput_per_minute: 120,
    error_count: i % 7,
    error_rate: (i % 7) / 10,
    cpu_usage_percent: 35,
    memory_usage_percent: 60,
    error_types: { timeout: i % 3 },
    metadata: { region: 'eu-west-1' },
    tags: ['bench']
  }
}

interface Side {
  label: string
  rate: number
  unit: string
  latencies: number[]
}

async function timed(
  count: number,
  concurrency: number,
  one: (i: number) => Promise<void>
): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++
        const t0 = performance.now()
        await one(i)
        latencies.push(performance.now() - t0)
      }
    })
  )
  return { seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) }
}

function print(side: Side): void {
  console.log(
    `${side.label.padEnd(44)} ${side.rate.toFixed(0).padStart(8)} ${side.unit}   p50 ${percentile(side.latencies, 0.5).toFixed(2)} ms   p99 ${percentile(side.latencies, 0.99).toFixed(2)} ms`
  )
}

async function rawBatch(sql: Sql, batches: HealthEventInputBody[][]): Promise<Side> {
  const run = await timed(batches.length, 1, async i => {
    await withCaller(sql, SERVICE_CALLER, async tx => {
      await insertHealthEventIds(tx, batches[i] as HealthEventInputBody[])
    })
  })
  return {
    label: '(a) raw multi-row INSERT, 1000 per statement',
    rate: (batches.length * BATCH_SIZE) / run.seconds,
    unit: 'events/s',
    latencies: run.latencies
  }
}

async function apiBatch(address: string, token: string, batches: HealthEventInputBody[][]): Promise<Side> {
  const run = await runLoad({
    address,
    method: 'POST',
    path: '/v1/health-events/batch',
    headers: headers(token),
    bodies: batches.map(events => JSON.stringify({ events })),
    concurrency: 1,
    expect: 201
  })
  return {
    label: '(b) POST /v1/health-events/batch, 1000 per call',
    rate: (batches.length * BATCH_SIZE) / run.seconds,
    unit: 'events/s',
    latencies: run.latencies
  }
}

// BEGIN, the caller's settings, the INSERT and COMMIT written together: one round trip. Should
// a statement fail, those after it still run (each ends with its own Sync) and COMMIT then
// rolls the aborted transaction back, so the connection goes back to the pool clean.
async function pipelinedTransaction(sql: Sql, event: HealthEventInputBody): Promise<void> {
  const tx = await sql.reserve()
  try {
    const statements = [
      tx`begin`.execute(),
      tx`select set_config('role', ${SERVICE_CALLER.role}, true), set_config('request.jwt.claims', ${claimsText(SERVICE_CALLER)}, true)`.execute(),
      tx`insert into system_health_events ${tx([event] as never, HEALTH_EVENT_COLUMNS)} returning id`.execute(),
      tx`commit`.execute()
    ]
    // Every reply is awaited before the connection goes back, even after a failure.
    const settled = await Promise.allSettled(statements)
    const failed = settled.find(result => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    const commit = settled[3]
    if (commit?.status !== 'fulfilled' || commit.value.command !== 'COMMIT')
      throw new Error('the transaction did not commit')
  } finally {
    tx.release()
  }
}

interface Run {
  count: number
  seconds: number
  latencies: number[]
}

async function rawSingle(
  events: HealthEventInputBody[],
  one: (event: HealthEventInputBody) => Promise<unknown>
): Promise<Run> {
  return {
    count: events.length,
    ...(await timed(events.length, CONCURRENCY, async i => {
      await one(events[i] as HealthEventInputBody)
    }))
  }
}

async function apiSingle(address: string, token: string, events: HealthEventInputBody[]): Promise<Run> {
  const run = await runLoad({
    address,
    method: 'POST',
    path: '/v1/health-events',
    headers: headers(token),
    bodies: events.map(event => JSON.stringify(event)),
    concurrency: CONCURRENCY,
    expect: 201
  })
  return { count: events.length, ...run }
}

function combined(label: string, unit: string, runs: Run[]): Side {
  const count = runs.reduce((sum, run) => sum + run.count, 0)
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0)
  return {
    label: `${label}, x${CONCURRENCY}`,
    rate: count / seconds,
    unit,
    latencies: runs.flatMap(run => run.latencies).sort((x, y) => x - y)
  }
}

function headers(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
}

const database = await benchDatabase('ingest', 54412)
const poolSize = CONCURRENCY
const sql = createSql(database.url, { max: poolSize })
const config = loadConfig({
  DATABASE_URL: database.url,
  JWT_SECRET: SECRET,
  SECRETS_KEY: SECRET,
  JOBS_ENABLED: 'false',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_MAX: '10000000'
})
const app = await buildApp(config, { logger: false, poolSize })
const address = await app.listen({ port: 0, host: '127.0.0.1' })
const token = await signToken(SECRET, { role: 'service_role' })

try {
  const batches = Array.from({ length: BATCHES }, (_, b) =>
    Array.from({ length: BATCH_SIZE }, (_, i) => event(b * BATCH_SIZE + i))
  )
  const singles = Array.from({ length: SINGLES }, (_, i) => event(i))
  // Warm both paths (JIT, prepared statements, connections) before measuring.
  await rawBatch(sql, batches.slice(0, 3))
  await apiBatch(address, token, batches.slice(0, 3))
  const transaction = async (event: HealthEventInputBody): Promise<void> => {
    await pipelinedTransaction(sql, event)
  }
  const statement = async (event: HealthEventInputBody): Promise<unknown> =>
    await insertHealthEventAs(sql, SERVICE_CALLER, event)
  await rawSingle(singles.slice(0, 500), transaction)
  await rawSingle(singles.slice(0, 500), statement)
  await apiSingle(address, token, singles.slice(0, 500))

  const a = await rawBatch(sql, batches)
  const b = await apiBatch(address, token, batches)
  const runs: { c1: Run[]; c2: Run[]; d: Run[] } = { c1: [], c2: [], d: [] }
  const share = Math.ceil(SINGLES / ROUNDS)
  for (let round = 0; round < ROUNDS; round++) {
    const events = singles.slice(round * share, (round + 1) * share)
    runs.c1.push(await rawSingle(events, transaction))
    runs.c2.push(await rawSingle(events, statement))
    runs.d.push(await apiSingle(address, token, events))
  }
  const c1 = combined('(c1) raw pipelined transaction', 'rows/s  ', runs.c1)
  const c2 = combined('(c2) raw insert_health_event_as', 'rows/s  ', runs.c2)
  const d = combined('(d) POST /v1/health-events', 'req/s   ', runs.d)
  const c = c1.rate >= c2.rate ? c1 : c2
  console.log(
    `ingest benchmark: ${BATCHES} batches of ${BATCH_SIZE}, ${SINGLES} single events at concurrency ${CONCURRENCY} in ${ROUNDS} rounds, pool ${poolSize}`
  )
  for (const side of [a, b, c1, c2, d]) print(side)
  console.log(`(c) is ${c.label.slice(0, 4)}, the faster raw way`)
  reportFigure({
    bench: 'ingest',
    name: 'batch API events/s (b)',
    value: b.rate,
    unit: 'events/s',
    seed: '-',
    ours: '-'
  })
  reportFigure({
    bench: 'ingest',
    name: 'ratio b/a: batch API over raw multi-row INSERT',
    value: b.rate / a.rate,
    unit: '',
    seed: '-',
    ours: '>= 0.6, aim 0.8',
    met: b.rate / a.rate >= 0.6
  })
  reportFigure({
    bench: 'ingest',
    name: `single POST req/s (d), p99 ${percentile(d.latencies, 0.99).toFixed(0)} ms`,
    value: d.rate,
    unit: 'req/s',
    seed: '-',
    ours: '-'
  })
  reportFigure({
    bench: 'ingest',
    name: 'ratio d/c: single POST over raw per-row transaction',
    value: d.rate / c.rate,
    unit: '',
    seed: '-',
    ours: '>= 0.6, aim 0.8',
    met: d.rate / c.rate >= 0.6
  })
} finally {
  await app.close()
  await sql.end()
  await database.close()
}
