// `npm run bench:ingest`: ingestion measured from outside, as callers push, on the same
// PostgreSQL, table and rows, for 1, 4 and 16 concurrent callers (BENCH_CALLERS=1,4,16):
// (a) a raw multi-row INSERT of 500 rows per statement (VALUES, one parameter per field, as a
// client would write it), in a transaction with the service role's claims set as the service
// sets them, against (b) POST /v1/health-events/batch with the
// same 500 events; (c) the fastest raw per-row write with the same guarantees (the caller's role
// and claims in force, committed when it returns) against (d) single POST /v1/health-events.
// (c) is the faster of (c1) BEGIN, the settings, the INSERT and COMMIT pipelined in one write
// on a reserved connection and (c2) the single statement the service sends for an event alone,
// so the raw side is never a slower one. The service commits concurrent single POSTs of one
// caller together (src/services/health-event-groups.ts); a raw client writing row by row, each
// committed before it returns, has no such group: that is the point of comparison.
// The service is the built server (dist/server.js, what `npm start` runs, with its defaults:
// info logging, its pool) started twice, as one process (WEB_CONCURRENCY=1) and with one worker
// per core (0), so both are measured in the same run (BENCH_WEB_CONCURRENCY=1,0 lists them; the
// headline figures are the server at WEB_CONCURRENCY's default, as `npm start` runs it). The HTTP load
// is autocannon in a process of its own; the raw sides run in this process through postgres.js,
// one connection per caller. Each side runs BENCH_SECONDS at a time, the sides take turns
// (a b1 b2 c1 c2 d1 d2 e, twice), so load from elsewhere on a shared machine falls on all alike:
// compare the ratios, which are measured in the same run, rather than the absolute rates.
// (e) is the floor for (d): bare Fastify sending the same single statement per POST, with none
// of the service's work (bench/support/floor-server.ts), so e/c is what one Node process gets of
// (c) here when it sends each POST's statement alone and does nothing else, and d/e how the
// service, which does its work and shares commits, compares with it.
// BENCH_CPU_PROF=DIR writes the server's CPU profile there (node --cpu-prof) on exit.
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { createSql, type Sql } from '../src/db/client.js'
import { claimsText, withCaller, SERVICE_CALLER } from '../src/db/caller.js'
import { insertHealthEventAs } from '../src/db/health-events.js'
import { signToken } from '../src/services/auth/tokens.js'
import { HEALTH_EVENT_COLUMNS, type HealthEventInputBody } from '../src/schemas/health-events.js'
import { benchDatabase, percentile } from './support/database.js'
import { reportFigure } from './support/figures.js'
import { runLoad, type LoadResult } from './support/http-load.js'
import { startServer, type BenchServer } from './support/server.js'
import { workerCount } from '../src/cluster.js'
import { ENV_DEFAULTS } from '../src/config/schema.js'

const CALLERS = (process.env.BENCH_CALLERS ?? '1,4,16').split(',').map(Number)
/** Servers measured side by side: WEB_CONCURRENCY values (0: the default, one per core). */
const SERVERS = (process.env.BENCH_WEB_CONCURRENCY ?? '1,0').split(',').map(Number)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const BATCH_SIZE = 500
/** Distinct events, sent round and round by every side. */
const EVENTS = 20_000
const TARGET = 0.8
const SECRET = 'bench-secret-for-core314-ingest-measurements'
const ORGANIZATION = '00000000-0000-4000-8000-000000000314'

function event(i: number): HealthEventInputBody {
  return {
    user_id: randomUUID(),
    organization_id: ORGANIZATION,
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

/** Runs `one` from `callers` loops for `seconds`; every call's latency, in ms. */
async function timed(callers: number, seconds: number, one: (i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  const ends = started + seconds * 1000
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < ends) {
        const i = next++
        const t0 = performance.now()
        await one(i)
        latencies.push(performance.now() - t0)
      }
    })
  )
  return {
    count: latencies.length,
    seconds: (performance.now() - started) / 1000,
    latencies: latencies.sort((x, y) => x - y)
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

interface Side {
  key: string
  label: string
  /** Rows per call. */
  rows: number
  run: (callers: number, seconds: number) => Promise<Run>
}

/** A side's run; an API side's also says how much CPU the server's processes spent on it. */
interface Run extends LoadResult {
  serverCpuMs?: number
}

interface Measured {
  rate: number
  latencies: number[]
  /** Server CPU per stored row, µs: the figure that moves least with other load. */
  cpuPerRowUs?: number
}

function combine(side: Side, runs: Run[]): Measured {
  const rows = runs.reduce((sum, run) => sum + run.count * side.rows, 0)
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0)
  const cpuMs = runs.reduce((sum, run) => sum + (run.serverCpuMs ?? Number.NaN), 0)
  return {
    rate: rows / seconds,
    latencies: runs.flatMap(run => run.latencies).sort((x, y) => x - y),
    ...(Number.isNaN(cpuMs) ? {} : { cpuPerRowUs: (cpuMs * 1000) / rows })
  }
}

function line(side: Side, measured: Measured): string {
  const p = (q: number): string => percentile(measured.latencies, q).toFixed(2).padStart(8)
  const cpu = measured.cpuPerRowUs === undefined ? '' : `   server CPU ${measured.cpuPerRowUs.toFixed(0)} µs/row`
  return `  ${`(${side.key}) ${side.label}`.padEnd(64)} ${measured.rate.toFixed(0).padStart(8)} rows/s   p50 ${p(0.5)} ms   p99 ${p(0.99)} ms${cpu}`
}

/** An API side's rate, and its ratio to the raw side, judged with 4 callers or more. */
function report(callers: number, name: string, unit: string, api: Measured, ratioName: string, ratio: number): void {
  const judged = callers >= 4
  reportFigure({
    bench: 'ingest',
    name: `x${callers}: ${name}, p99 ${percentile(api.latencies, 0.99).toFixed(0)} ms`,
    value: api.rate,
    unit,
    seed: '-',
    ours: '-'
  })
  reportFigure({
    bench: 'ingest',
    name: `x${callers}: ratio ${ratioName}`,
    value: ratio,
    unit: '',
    seed: '-',
    ours: judged ? `>= ${TARGET}` : '-',
    met: judged ? ratio >= TARGET : undefined
  })
}

const database = await benchDatabase('ingest', 54412)
const profileDir = process.env.BENCH_CPU_PROF
if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true })
console.log('building dist/ (npm run build) ...')
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
const servers: Array<{ name: string; server: BenchServer }> = []
/** The server whose figures are reported: the one `npm start` runs, else the last. */
const headline = SERVERS.includes(ENV_DEFAULTS.WEB_CONCURRENCY)
  ? SERVERS.indexOf(ENV_DEFAULTS.WEB_CONCURRENCY)
  : SERVERS.length - 1
for (const concurrency of SERVERS) {
  const name = concurrency === 1 ? '1 process' : `${workerCount(concurrency)} workers`
  const server = await startServer(
    {
      DATABASE_URL: database.url,
      JWT_SECRET: SECRET,
      SECRETS_KEY: SECRET,
      PORT: '0',
      WEB_CONCURRENCY: String(concurrency),
      // Only the ingest path is measured: no detection, healing or self-test runs competing.
      JOBS_ENABLED: 'false',
      RATE_LIMIT_MAX: '10000000'
    },
    path.resolve(`.data/bench-ingest-server-${concurrency}.log`),
    {
      built: true,
      logStraightToFile: true,
      ...(profileDir === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] })
    }
  )
  servers.push({ name, server })
}
const floor = await startServer(
  { DATABASE_URL: database.url, PORT: '0' },
  path.resolve('.data/bench-ingest-floor-server.log'),
  { script: 'bench/support/floor-server.ts' }
)
const token = await signToken(SECRET, { role: 'service_role' })
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
const sql = createSql(database.url, { max: Math.max(...CALLERS) })

try {
  const events = Array.from({ length: EVENTS }, (_, i) => event(i))
  const batches = Array.from({ length: EVENTS / BATCH_SIZE }, (_, b) =>
    events.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE)
  )
  const batchBodies = batches.map(batch => JSON.stringify({ events: batch }))
  const singleBodies = events.map(one => JSON.stringify(one))
  const api =
    (server: BenchServer, route: string, bodies: string[]) =>
    async (callers: number, seconds: number): Promise<Run> => {
      const before = await server.cpuMs()
      const run = await runLoad({
        address: server.address,
        method: 'POST',
        path: route,
        headers,
        bodies,
        connections: callers,
        seconds,
        expect: 201
      })
      const after = await server.cpuMs()
      return before === undefined || after === undefined ? run : { ...run, serverCpuMs: after - before }
    }
  const apiSides = (letter: 'b' | 'd'): Side[] =>
    servers.map(({ name, server }, index) => ({
      key: `${letter}${index + 1}`,
      label:
        letter === 'b'
          ? `POST /v1/health-events/batch, ${BATCH_SIZE} per call, ${name}`
          : `POST /v1/health-events, one event, ${name}`,
      rows: letter === 'b' ? BATCH_SIZE : 1,
      run: api(
        server,
        letter === 'b' ? '/v1/health-events/batch' : '/v1/health-events',
        letter === 'b' ? batchBodies : singleBodies
      )
    }))
  const sides: Side[] = [
    {
      key: 'a',
      label: `raw multi-row INSERT, ${BATCH_SIZE} per statement`,
      rows: BATCH_SIZE,
      run: async (callers, seconds) =>
        await timed(callers, seconds, async i => {
          await withCaller(sql, SERVICE_CALLER, async tx => {
            await tx`insert into system_health_events ${tx(batches[i % batches.length] as never, HEALTH_EVENT_COLUMNS)} returning id`
          })
        })
    },
    ...apiSides('b'),
    {
      key: 'c1',
      label: 'raw pipelined transaction, one row',
      rows: 1,
      run: async (callers, seconds) =>
        await timed(callers, seconds, async i => {
          await pipelinedTransaction(sql, events[i % EVENTS] as HealthEventInputBody)
        })
    },
    {
      key: 'c2',
      label: 'raw insert_health_event_as, one row',
      rows: 1,
      run: async (callers, seconds) =>
        await timed(callers, seconds, async i => {
          await insertHealthEventAs(sql, SERVICE_CALLER, events[i % EVENTS] as HealthEventInputBody)
        })
    },
    ...apiSides('d'),
    {
      key: 'e',
      label: 'bare Fastify POST, one event, the same statement (floor)',
      rows: 1,
      run: api(floor, '/v1/health-events', singleBodies)
    }
  ]

  console.log(
    `ingest benchmark: ${SECONDS} s a side per round, ${ROUNDS} rounds taking turns (${sides.map(side => side.key).join(' ')}), callers ${CALLERS.join(', ')}; servers: ${servers.map(({ name, server }) => `${name} (pid ${String(server.child.pid)})`).join(', ')}`
  )
  console.log(
    'Absolute rates move with whatever else the machine runs; the ratios, both sides in the same run and in turns, are the figures to compare.'
  )
  // Warm every path (JIT, prepared statements, connections) before measuring.
  for (const side of sides) await side.run(Math.max(...CALLERS), 1)

  for (const callers of CALLERS) {
    const runs = new Map<Side, Run[]>(sides.map(side => [side, []]))
    for (let round = 0; round < ROUNDS; round++)
      for (const side of sides) runs.get(side)?.push(await side.run(callers, SECONDS))
    const measured = new Map(sides.map(side => [side.key, combine(side, runs.get(side) ?? [])]))
    const get = (key: string): Measured => measured.get(key) as Measured
    console.log(`\n${callers} concurrent caller${callers === 1 ? '' : 's'}:`)
    for (const side of sides) console.log(line(side, get(side.key)))
    const c = get('c1').rate >= get('c2').rate ? 'c1' : 'c2'
    const floorRatio = get('e').rate / get(c).rate
    console.log(`  floor: e/c ${floorRatio.toFixed(2)}, a Node front sending each POST's statement alone, nothing else`)
    reportFigure({
      bench: 'ingest',
      name: `x${callers}: ratio e/c, the floor (bare Fastify, same statement) over the raw per-row transaction`,
      value: floorRatio,
      unit: '',
      seed: '-',
      ours: '-'
    })
    servers.forEach(({ name }, index) => {
      const b = get(`b${index + 1}`)
      const d = get(`d${index + 1}`)
      const batchRatio = b.rate / get('a').rate
      const singleRatio = d.rate / get(c).rate
      console.log(
        `  ${name}: b/a ${batchRatio.toFixed(2)}   d/c ${singleRatio.toFixed(2)} (c is ${c}, the faster raw way)   d/e ${(d.rate / get('e').rate).toFixed(2)}`
      )
      // How far one turn's ratio strays from the run's: the spread a shorter run would show.
      const byRound = (api: string, raw: string): string =>
        Array.from({ length: ROUNDS }, (_, round) => {
          const rate = (key: string): number => {
            const side = sides.find(one => one.key === key) as Side
            const run = runs.get(side)?.[round] as Run
            return (run.count * side.rows) / run.seconds
          }
          return (rate(api) / rate(raw)).toFixed(2)
        }).join(' ')
      console.log(`    by round: b/a ${byRound(`b${index + 1}`, 'a')}   d/c ${byRound(`d${index + 1}`, c)}`)
      if (index !== headline) return
      report(
        callers,
        `batch API events/s (b), ${name}`,
        'events/s',
        b,
        'b/a, batch API over raw multi-row INSERT',
        batchRatio
      )
      report(
        callers,
        `single POST req/s (d), ${name}`,
        'req/s',
        d,
        'd/c, single POST over the fastest raw per-row transaction',
        singleRatio
      )
    })
  }
  // What a stored event costs on disk, indexes included: the figure docs/scaling.md sizes with.
  const [size] = await sql<Array<{ rows: string; bytes: string }>>`
    select (select count(*) from system_health_events)::text as rows,
      (select sum(pg_total_relation_size(inhrelid)) from pg_inherits
        where inhparent = 'system_health_events'::regclass)::text as bytes`
  if (size !== undefined)
    console.log(
      `\nstored: ${Number(size.rows).toLocaleString('en')} events, ${(Number(size.bytes) / Number(size.rows)).toFixed(0)} bytes each on disk with their indexes`
    )
} finally {
  await sql.end()
  for (const { name, server } of [...servers, { name: 'floor', server: floor }]) {
    const code = await server.stop()
    if (code !== 0) console.error(`the server (${name}) exited with ${String(code)}`)
  }
  await database.close()
}
