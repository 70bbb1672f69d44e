// `npm run console:screenshots`: the panels of the operator console (the four of the seed, the
// Silences and Runbooks views, and a component's page with its forecast) as docs/console/*.png,
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
// [route, file, heading]
const PANELS = [
  ['monitor', 'monitor', 'System monitor'],
  ['anomalies', 'anomalies', 'Anomalies'],
  ['recovery', 'recovery', 'Recovery'],
  ['selftests', 'selftests', 'Self-tests'],
  ['silences', 'silences', 'Silences'],
  ['runbooks', 'runbooks', 'Runbooks'],
  ['component/checkout', 'component', 'Component']
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
  const hours = (count: number) => new Date(Date.now() + count * 3_600_000).toISOString()
  await post('/v1/silences', {
    organization_id: ORGANIZATION,
    matchers: [
      { name: 'component_name', value: 'notifications', is_regex: false, is_equal: true },
      { name: 'anomaly_type', value: 'error_rate_increase', is_regex: false, is_equal: true }
    ],
    ends_at: hours(4),
    comment: 'provider incident, they are on it'
  })
  await post('/v1/silences', {
    organization_id: ORGANIZATION,
    matchers: [{ name: 'component_name', value: 'ledger-.*', is_regex: true, is_equal: true }],
    starts_at: hours(20),
    ends_at: hours(24 * 90),
    comment: 'weekly database maintenance',
    recurrence: { cron: '0 2 * * 0', duration_minutes: 120, time_zone: 'Europe/Berlin' }
  })
  // Runbook runs and forecasts are written by the engine and the forecaster over time: here as rows.
  const owner = createSql(database.url, { max: 1 })
  const [runbook] = await owner`
    insert into runbooks (organization_id, name, version, document)
    values (${ORGANIZATION}, 'checkout-latency', 3, ${owner.json({ name: 'checkout-latency' })})
    returning id`
  const [run] = await owner`
    insert into runbook_runs (organization_id, runbook_id, runbook_name, runbook_version, component_name,
      status, current_step, outcome, finished_at)
    values (${ORGANIZATION}, ${runbook?.id}, 'checkout-latency', 3, 'checkout', 'succeeded', 1,
      'verified after step 2', now())
    returning id`
  await owner`
    insert into runbook_run_steps (run_id, step_index, organization_id, name, action_type, status, verification)
    values
      (${run?.id}, 0, ${ORGANIZATION}, 'clear the cache', 'clear_cache', 'failed',
        ${owner.json({ passed: false, reason: 'latency_p95_ms was 2380, not below 500' })}),
      (${run?.id}, 1, ${ORGANIZATION}, 'roll back deploy 412', 'rollback_deployment', 'passed',
        ${owner.json({ passed: true, reason: 'latency_p95_ms was 230, below 500' })})`
  await owner`
    insert into predictive_alerts (organization_id, component_name, component_type, alert_type, metric_name,
      predicted_value, actual_value, threshold_value, forecast_target_time, confidence_score, severity, message)
    values (${ORGANIZATION}, 'checkout', 'edge_function', 'resource_exhaustion', 'memory_usage_percent', 131.2, 71.4,
      95, now() + interval '9 hours', 0.97, 'medium',
      'memory_usage_percent of checkout reaches 95 in about 9 h at 2.5 per hour')`
  await owner.end()

  await mkdir(OUT, { recursive: true })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true
  })
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } })
  await page.goto(`${base}/console#token=${admin}`)
  for (const [route, file, title] of PANELS) {
    await page.goto(`${base}/console#/${route}`)
    await page.getByRole('heading', { level: 1, name: title }).waitFor()
    if (route === 'anomalies') await page.getByRole('button', { name: /latency spike · checkout/ }).click()
    if (route === 'runbooks') await page.getByRole('button', { name: 'checkout-latency@3' }).click()
    await page.getByText('Live', { exact: true }).waitFor()
    // The open event stream keeps the network busy for good: let the panel's reads settle instead.
    await page.waitForTimeout(1500)
    await page.screenshot({ path: path.join(OUT, `${file}.png`), fullPage: true })
    console.log(`wrote ${OUT}/${file}.png`)
  }
  await browser.close()
  await app.close()
} finally {
  await database.stop()
  await rm(folder, { recursive: true, force: true })
}
