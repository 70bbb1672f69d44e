// `npm run console:screenshots`: the four panels of the operator console as docs/console/*.png,
// taken from a throwaway service (an embedded PostgreSQL under .data/, removed after) seeded with a
// small incident, through Debian's Chromium. Run it after changing how a panel looks.
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createSql } from '../src/db/client.js'
import { startEmbeddedPostgres } from '../src/db/embedded.js'
import { migrate } from '../src/db/migrate.js'
import { signToken } from '../src/services/auth/tokens.js'
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js'
import { buildConsole } from './console-build.js'

const OUT = 'docs/console'
const SECRET = 'screenshots-secret-for-the-console-0123456789'
const ORGANIZATION = '00000000-0000-4000-8000-000000000314'
const ADMIN = '00000000-0000-4000-8000-000000000001'
const PANELS = [
  ['monitor', 'System monitor'],
  ['anomalies', 'Anomalies'],
  ['recovery', 'Recovery'],
  ['selftests', 'Self-tests']
] as const

await buildConsole(path.join('dist', 'console'))
// Under .data/ like the suite's databases: as root, PostgreSQL runs as its own user, who must reach it.
const folder = path.resolve('.data/console-screenshots')
await rm(folder, { recursive: true, force: true })
const database = await startEmbeddedPostgres(folder, 55499, () => {})
try {
  const migrator = createSql(database.url, { max: 1 })
  await migrate(migrator)
  await migrator.end()
  const config = loadConfig({
    DATABASE_URL: database.url,
    JWT_SECRET: SECRET,
    SECRETS_KEY: SECRET,
    JOBS_ENABLED: 'false',
    LOG_LEVEL: 'silent'
  })
  const app = await buildApp(config, { logger: false })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const service = { authorization: `Bearer ${await signToken(SECRET, { role: 'service_role' })}` }
  const admin = await signToken(SECRET, {
    sub: ADMIN,
    role: 'authenticated',
    app_metadata: { role: 'admin', organization_id: ORGANIZATION }
  })
  const post = async (url: string, payload: object) => {
    const res = await app.inject({ method: 'POST', url, headers: service, payload })
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.body}`)
    return res.json() as { id: string }
  }

  // Two hours of one-minute events for a handful of components, one of them going bad.
  const components = ['checkout', 'search', 'orchestrate-flow', 'billing-worker', 'notifications', 'ledger-db']
  const events = components.flatMap((name, index) =>
    Array.from({ length: 24 }, (_, step) => {
      const failing = name === 'checkout' && step > 17
      const at = new Date(Date.now() - (24 - step) * 5 * 60_000)
      return {
        organization_id: ORGANIZATION,
        component_type: name.endsWith('-db') ? 'database' : 'edge_function',
        component_name: name,
        status: failing ? 'critical' : name === 'notifications' && step > 20 ? 'degraded' : 'healthy',
        latency_ms: (failing ? 1800 : 120 + index * 30) + Math.sin(step) * 15,
        latency_p95_ms: (failing ? 2400 : 210 + index * 40) + Math.cos(step) * 20,
        error_rate: failing ? 14 + step : 0.4 + (step % 3) * 0.1,
        cpu_usage_percent: 30 + index * 6 + (failing ? 35 : step % 5),
        memory_usage_percent: 45 + index * 4,
        availability_percentage: failing ? 92 : 99.9,
        measurement_window_end: at.toISOString()
      }
    })
  )
  await post('/v1/health-events/batch', { events })
  const signal = await post('/v1/anomalies', {
    organization_id: ORGANIZATION,
    anomaly_type: 'latency_spike',
    severity: 'critical',
    source_type: 'system_health_events',
    source_component_name: 'checkout',
    baseline_value: 215,
    observed_value: 2400,
    deviation_percentage: 1016,
    pattern_type: 'sudden_spike',
    confidence_score: 0.94,
    root_cause_analysis:
      'Latency and errors rose together six minutes after deploy 412 of checkout; the payment provider answers normally, so the release is the likely cause.'
  })
  await post('/v1/anomalies', {
    organization_id: ORGANIZATION,
    anomaly_type: 'error_rate_increase',
    severity: 'medium',
    source_type: 'system_health_events',
    source_component_name: 'notifications',
    baseline_value: 0.5,
    observed_value: 4.2,
    pattern_type: 'gradual_increase'
  })
  await post('/v1/recovery-actions', {
    action_type: 'rollback_deployment',
    target_component_name: 'checkout',
    organization_id: ORGANIZATION,
    triggered_by_anomaly_id: signal.id,
    trigger_reason: 'p95 latency 2.4 s since deploy 412'
  })
  await post('/v1/recovery-actions', {
    action_type: 'restart_function',
    target_component_name: 'notifications',
    organization_id: ORGANIZATION,
    trigger_reason: 'error rate 4.2 %',
    dry_run: true
  })
  await app.inject({ method: 'POST', url: '/v1/selftests/run', headers: service, payload: {} })
  await app.healing.runDue()

  await mkdir(OUT, { recursive: true })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true
  })
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } })
  await page.goto(`${base}/console#token=${admin}`)
  for (const [route, title] of PANELS) {
    await page.goto(`${base}/console#/${route}`)
    await page.getByRole('heading', { level: 1, name: title }).waitFor()
    if (route === 'anomalies') await page.getByRole('button', { name: /latency spike · checkout/ }).click()
    await page.getByText('Live', { exact: true }).waitFor()
    // The open event stream keeps the network busy for good: let the panel's reads settle instead.
    await page.waitForTimeout(1500)
    await page.screenshot({ path: path.join(OUT, `${route}.png`), fullPage: true })
    console.log(`wrote ${OUT}/${route}.png`)
  }
  await browser.close()
  await app.close()
} finally {
  await database.stop()
  await rm(folder, { recursive: true, force: true })
}
