// `npm run bench:llm-faults`: detection time while the LLM fails under load. For each fault (429
// with Retry-After, 500, no answer at all) a fresh server (src/server.ts as a child process, the
// real openai client pointed at a local OpenAI-protocol server through OPENAI_BASE_URL) takes
// ingest load while the script runs detection again and again, each run opening a signal on a new
// component: first with the LLM answering, then failing, then answering again until the breaker's
// probe gets through. Printed per phase: run durations against the 2.5 s run budget and the
// seed's 3 s, which analysis each signal kept, the requests that reached the LLM server (none once
// the breaker is open), and the answers callers got. Exits non-zero on a 5xx, a run over 3 s, or
// an LLM request while the breaker should be open. test/reliability/llm-faults.test.ts asserts
// the same behaviour without the timing.
import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { createSql } from '../src/db/client.js'
import { signToken } from '../src/services/auth/tokens.js'
import { analysisContent, startFakeOpenAI, type FakeReply } from '../test/helpers/fake-openai.js'
import { benchDatabase, percentile } from './support/database.js'
import { startServer } from './support/server.js'
import { teardowns } from './support/teardowns.js'
import { paced, sleep, Traffic } from './support/traffic.js'

const BENCH_PORT = 54394
const SEED_LIMIT_MS = 3000
const RUN_BUDGET_MS = 2500
const RUNS_HEALTHY = 4
const RUNS_FAULTY = 10
const RECOVERY_LIMIT_MS = 90_000
const PAUSE_MS = 300
const OK: FakeReply = { kind: 'completion', content: analysisContent() }

interface Mode {
  name: string
  fault: FakeReply
}
const MODES: Mode[] = [
  { name: '429, Retry-After: 20', fault: { kind: 'error', status: 429, headers: { 'retry-after': '20' } } },
  { name: '500', fault: { kind: 'error', status: 500 } },
  { name: 'no answer (hang)', fault: { kind: 'hang' } }
]

/** One detection run: its duration_ms, the HTTP round trip, when it ended, and the LLM server's request count after it. */
interface Run {
  ms: number
  wallMs: number
  status: number
  analysis: string
  llmRequests: number
  endedAt: number
}
interface Signal {
  source_component_name: string
  metadata: { analysis?: { produced_by?: string; fallback_reason?: string | null } }
}

const dataDir = path.resolve('.data/bench-llm_faults')
await mkdir(dataDir, { recursive: true })
const cleanup = teardowns()
const database = await benchDatabase('llm_faults', BENCH_PORT)
cleanup.teardown(database.close)
const fake = await startFakeOpenAI(cleanup, { defaultReply: OK })
const owner = createSql(database.url, { max: 1 })
cleanup.teardown(async () => {
  await owner.end()
})
const jwtSecret = randomBytes(32).toString('hex')
const token = await signToken(jwtSecret, { role: 'service_role' })
const problems: string[] = []
let spikes = 0

/** One detection run after a latency spike on a new component: its duration and what analysed the signal. */
async function detectOnce(traffic: Traffic): Promise<Run> {
  spikes += 1
  const component = `llm-spike-${spikes}`
  for (const latency of [4800, 5200]) {
    await traffic.request('ingest_spike', 'POST', '/v1/health-events', {
      token,
      body: { component_type: 'edge_function', component_name: component, status: 'unhealthy', latency_ms: latency }
    })
  }
  const started = performance.now()
  const res = await traffic.request('detect', 'POST', '/v1/anomalies/detect', { token, body: {} })
  const endedAt = performance.now()
  const wallMs = endedAt - started
  const body = res.body as { duration_ms?: number; signals?: Signal[] }
  const signal = body.signals?.find(candidate => candidate.source_component_name === component)
  const analysis = signal?.metadata.analysis
  const label =
    analysis === undefined
      ? 'no signal'
      : analysis.produced_by === 'llm'
        ? 'llm'
        : `rule_based (${analysis.fallback_reason ?? 'none'})`
  return {
    ms: body.duration_ms ?? Number.NaN,
    wallMs,
    status: res.status,
    analysis: label,
    llmRequests: fake.requests.length,
    endedAt
  }
}

function describe(phase: string, runs: Run[], requests: number): string {
  const sorted = runs.map(run => run.ms).sort((a, b) => a - b)
  const wall = runs.map(run => run.wallMs).sort((a, b) => a - b)
  const kinds = new Map<string, number>()
  for (const run of runs) kinds.set(run.analysis, (kinds.get(run.analysis) ?? 0) + 1)
  return `  ${phase.padEnd(36)} runs ${String(runs.length).padStart(2)}, duration_ms p50 ${percentile(sorted, 0.5).toFixed(0).padStart(4)} max ${String(sorted.at(-1)).padStart(4)} (HTTP max ${(wall.at(-1) ?? 0).toFixed(0)}), LLM requests ${requests}; ${[...kinds].map(([kind, n]) => `${kind} ${n}`).join(', ')}`
}

console.log(
  `LLM faults under load (run budget ${RUN_BUDGET_MS} ms, seed limit ${SEED_LIMIT_MS} ms per detection run)\n`
)
const allRuns: Run[] = []
for (const mode of MODES) {
  // Each fault starts from an empty database, so what detection reads is the same for all three.
  await owner`truncate system_health_events, anomaly_signals cascade`
  fake.setDefault(OK)
  const server = await startServer(
    {
      DATABASE_URL: database.url,
      JWT_SECRET: jwtSecret,
      SECRETS_KEY: jwtSecret,
      PORT: '0',
      RATE_LIMIT_MAX: '10000000',
      JOBS_ENABLED: 'false',
      OPENAI_API_KEY: 'sk-bench-key-for-the-local-server',
      OPENAI_BASE_URL: fake.baseUrl
    },
    path.join(dataDir, `server-${mode.fault.kind}${mode.fault.kind === 'error' ? mode.fault.status : ''}.log`)
  )
  const traffic = new Traffic(server.address)
  let loading = true
  let sequence = 0
  const load = Promise.all([
    ...Array.from(
      { length: 4 },
      async () =>
        await paced(
          25,
          () => !loading,
          async () => {
            sequence += 1
            await traffic.request('ingest_single', 'POST', '/v1/health-events', {
              token,
              body: {
                component_type: 'edge_function',
                component_name: `llm-load-${sequence % 20}`,
                status: 'healthy',
                latency_ms: 100 + (sequence % 40)
              }
            })
          }
        )
    ),
    paced(
      1,
      () => !loading,
      async () => {
        const events = Array.from({ length: 100 }, (_, i) => ({
          component_type: 'edge_function',
          component_name: `llm-load-${i % 20}`,
          status: 'healthy',
          latency_ms: 100 + (i % 40)
        }))
        await traffic.request('ingest_batch', 'POST', '/v1/health-events/batch', { token, body: { events } })
      }
    )
  ])

  const phase = async (count: number): Promise<{ runs: Run[]; requests: number }> => {
    const before = fake.requests.length
    const runs: Run[] = []
    for (let i = 0; i < count; i += 1) {
      runs.push(await detectOnce(traffic))
      await sleep(PAUSE_MS)
    }
    return { runs, requests: fake.requests.length - before }
  }

  await sleep(2000)
  const healthy = await phase(RUNS_HEALTHY)
  fake.setDefault(mode.fault)
  const faulty = await phase(RUNS_FAULTY)
  const openedAt = faulty.runs.findIndex(run => run.analysis === 'rule_based (breaker_open)')
  const failing = openedAt === -1 ? faulty.runs.length : openedAt
  const beforeFault = healthy.runs.at(-1)?.llmRequests ?? 0
  const untilOpen = (faulty.runs[failing - 1]?.llmRequests ?? beforeFault) - beforeFault
  // From the first run that found the breaker open to the end of the fault: none should reach the server.
  const whileOpen =
    openedAt === -1
      ? Number.NaN
      : (faulty.runs.at(-1)?.llmRequests ?? 0) - (faulty.runs[openedAt - 1]?.llmRequests ?? beforeFault)
  fake.setDefault(OK)
  const recovery: Run[] = []
  const recoveryStarted = performance.now()
  const beforeRecovery = fake.requests.length
  while (performance.now() - recoveryStarted < RECOVERY_LIMIT_MS) {
    const run = await detectOnce(traffic)
    recovery.push(run)
    if (run.analysis === 'llm') break
    await sleep(1000)
  }
  // From the run whose failure opened the breaker to the run whose probe went through.
  const openedBy = faulty.runs[failing - 1]
  const probe = recovery.at(-1)
  const probeAfter =
    openedBy === undefined || probe === undefined
      ? Number.NaN
      : (probe.endedAt - probe.wallMs - openedBy.endedAt) / 1000
  loading = false
  await load
  const exit = await server.stop()

  console.log(`${mode.name}:`)
  console.log(describe('LLM answering', healthy.runs, healthy.requests))
  console.log(describe('failing until breaker opens', faulty.runs.slice(0, failing), untilOpen))
  console.log(describe('breaker open', faulty.runs.slice(failing), Number.isNaN(whileOpen) ? 0 : whileOpen))
  console.log(
    describe(
      `LLM back, probe ${probeAfter.toFixed(0)} s after opening`,
      recovery,
      fake.requests.length - beforeRecovery
    )
  )
  console.log(
    `  ${'callers'.padEnd(36)} ${traffic
      .figures(1)
      .map(row => `${row.kind} ${row.count} [${row.statuses}] p99 ${row.p99.toFixed(0)} ms`)
      .join('; ')}; server exit ${String(exit)}\n`
  )

  const runs = [...healthy.runs, ...faulty.runs, ...recovery]
  allRuns.push(...runs)
  if (traffic.serverErrors + traffic.connectionErrors > 0)
    problems.push(`${mode.name}: ${traffic.serverErrors} 5xx, ${traffic.connectionErrors} connection errors`)
  if (openedAt === -1) problems.push(`${mode.name}: the breaker never opened`)
  else if (whileOpen !== 0) problems.push(`${mode.name}: ${whileOpen} LLM requests while the breaker was open`)
  if (faulty.runs.some(run => run.analysis === 'llm' || run.analysis === 'no signal'))
    problems.push(`${mode.name}: a run during the fault did not keep the rule-based analysis`)
  if (recovery.at(-1)?.analysis !== 'llm')
    problems.push(`${mode.name}: the LLM analysis did not come back within ${RECOVERY_LIMIT_MS / 1000} s`)
}

const durations = allRuns.map(run => run.ms).sort((a, b) => a - b)
const over = durations.filter(ms => ms > SEED_LIMIT_MS).length
if (over > 0) problems.push(`${over} detection runs over ${SEED_LIMIT_MS} ms`)
console.log(
  `all ${durations.length} detection runs: p50 ${percentile(durations, 0.5)} ms, p99 ${percentile(durations, 0.99)} ms, max ${durations.at(-1)} ms; over ${RUN_BUDGET_MS} ms: ${durations.filter(ms => ms > RUN_BUDGET_MS).length}, over ${SEED_LIMIT_MS} ms: ${over}`
)
for (const problem of problems) console.log(`FAIL  ${problem}`)
console.log(`\nverdict: ${problems.length === 0 ? 'PASS' : 'FAIL'}`)
await cleanup.run()
process.exit(problems.length === 0 ? 0 : 1)
