// `npm run bench:console`: the console's list calls at the volume issue #20 names (1,000
// components, 10,000 signals, 2,000 actions in one organization), each through the app as an
// admin of that organization, as the console makes it: median and worst time of RUNS calls and
// the response's size. The first two lines compare how the System monitor got its charts before
// (every component's 6-hour trends in one /v1/health/trends call beside the page) and now (the
// page's rows carry their own trend: trend_bucket on /v1/health/components).
import { randomUUID } from 'node:crypto'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createSql } from '../src/db/client.js'
import { signToken } from '../src/services/auth/tokens.js'
import { CONSOLE_VOLUME, componentName, seedConsoleVolume } from './support/console-volume.js'
import { benchDatabase, percentile } from './support/database.js'
import { reportFigure } from './support/figures.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const SECRET = 'bench-console-secret-0123456789abcdef'
const BENCH_PORT = 54384
const TARGET_MS = 200

const database = await benchDatabase('console', BENCH_PORT)
const organizationId = randomUUID()
const userId = randomUUID()
const owner = createSql(database.url, { max: 1 })
const seeded = performance.now()
await seedConsoleVolume(owner, { organizationId, userId })
await owner.end()
console.log(
  `seeded ${CONSOLE_VOLUME.components} components (${CONSOLE_VOLUME.components * CONSOLE_VOLUME.eventsPerComponent} events), ${CONSOLE_VOLUME.signals} signals, ${CONSOLE_VOLUME.actions} actions in ${((performance.now() - seeded) / 1000).toFixed(1)} s`
)

const app = await buildApp(
  loadConfig({
    DATABASE_URL: database.url,
    JWT_SECRET: SECRET,
    SECRETS_KEY: `${SECRET}-sealing-key`,
    JOBS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '10000000'
  }),
  { logger: false }
)
const token = await signToken(SECRET, {
  sub: randomUUID(),
  role: 'authenticated',
  app_metadata: { organization_id: organizationId, role: 'admin' }
})
const headers = { authorization: `Bearer ${token}` }

interface Measured {
  medianMs: number
  worstMs: number
  bytes: number
}

async function measure(urls: string[]): Promise<Measured> {
  const times: number[] = []
  let bytes = 0
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now()
    bytes = 0
    for (const url of urls) {
      const res = await app.inject({ url, headers })
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
      bytes += res.rawPayload.length
    }
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return { medianMs: percentile(times, 0.5), worstMs: times[times.length - 1] ?? Number.NaN, bytes }
}

const since = encodeURIComponent(new Date(Date.now() - 6 * 3_600_000).toISOString())
const page = `/v1/health/components?since=${since}&limit=50&offset=0`
const firstSignals = (await app.inject({ url: '/v1/anomalies?limit=25&status=open', headers })).json<{
  next_cursor: string
}>()
const firstActions = (await app.inject({ url: '/v1/recovery-actions?limit=25', headers })).json<{
  next_cursor: string
}>()
const calls: Array<{ label: string; urls: string[]; figure?: string }> = [
  {
    label: 'components page + every trend (before)',
    urls: [page, `/v1/health/trends?since=${since}&bucket=30%20minutes`]
  },
  { label: 'components page alone', urls: [page] },
  {
    label: 'components page with its trends (now)',
    urls: [`${page}&trend_bucket=30%20minutes`],
    figure: 'console component page with trends'
  },
  {
    label: 'components page 11 with trends',
    urls: [`${page.replace('offset=0', 'offset=500')}&trend_bucket=30%20minutes`]
  },
  {
    label: 'components search, one match',
    urls: [`${page}&trend_bucket=30%20minutes&search=${componentName(777)}`]
  },
  { label: 'components filter status=critical', urls: [`${page}&trend_bucket=30%20minutes&status=critical`] },
  { label: 'signals page 1', urls: ['/v1/anomalies?limit=25&status=open'], figure: 'console signals page' },
  { label: 'signals page 2 (cursor)', urls: [`/v1/anomalies?limit=25&status=open&cursor=${firstSignals.next_cursor}`] },
  { label: 'signals open+critical', urls: ['/v1/anomalies?limit=25&status=open&severity=critical'] },
  {
    label: 'signals of one component',
    urls: [`/v1/anomalies?limit=25&status=open&source_component_name=${componentName(777)}`]
  },
  { label: 'actions page 1', urls: ['/v1/recovery-actions?limit=25'], figure: 'console actions page' },
  { label: 'actions page 2 (cursor)', urls: [`/v1/recovery-actions?limit=25&cursor=${firstActions.next_cursor}`] },
  { label: 'actions waiting for approval', urls: ['/v1/recovery-actions?limit=50&execution_status=pending_approval'] }
]

try {
  console.log(`\n${RUNS} runs each, as an admin of the organization:\n`)
  console.log('| call | median ms | worst ms | bytes |')
  console.log('| --- | ---: | ---: | ---: |')
  for (const call of calls) {
    const result = await measure(call.urls)
    console.log(
      `| ${call.label} | ${result.medianMs.toFixed(1)} | ${result.worstMs.toFixed(1)} | ${result.bytes.toLocaleString('en')} |`
    )
    if (call.figure !== undefined)
      reportFigure({
        bench: 'console',
        name: `${call.figure} (median)`,
        value: result.medianMs,
        unit: 'ms',
        seed: '-',
        ours: `under ${TARGET_MS} ms at 1,000 components / 10,000 signals`,
        met: result.medianMs < TARGET_MS
      })
  }
} finally {
  await app.close()
  await database.close()
}
