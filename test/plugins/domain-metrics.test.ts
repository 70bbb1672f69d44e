// The metrics an SRE alerts on, read the way Prometheus reads them: the exposition parsed as
// the text format (and checked by promtool where it is installed), gauges that follow the
// database, counters and histograms that follow what the service did, and no label that
// names a tenant.
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { createRootCauseAnalyzer } from '../../src/services/analysis/index.js'
import { ALLOWED_ACTIONS, anomalyFacts } from '../services/analysis/facts.js'
import { buildTestApp, createIngestKey, type TestApp } from '../helpers/app.js'
import { startControlEndpoint } from '../helpers/control-endpoint.js'
import { ownerSql } from '../helpers/database.js'
import { parseExposition, sampleValue, type Family } from '../helpers/prometheus.js'
import { fastHealing } from '../services/healing/helpers.js'

async function scrape(ctx: TestApp): Promise<{ text: string; families: Map<string, Family> }> {
  const res = await ctx.app.inject('/metrics')
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`)
  return { text: res.body, families: parseExposition(res.body) }
}

function promtool(): string | undefined {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' })
    return 'promtool'
  } catch {
    return undefined
  }
}

t.test('jobs are labelled job_name, never job, which Prometheus keeps for its scrape target', async t => {
  const ctx = await buildTestApp(t, {}, { jobs: [{ name: 'probe', schedule: null, run: async () => {} }] })
  t.equal(await ctx.app.scheduler.tick('probe'), 'succeeded')
  const { families } = await scrape(ctx)
  t.equal(sampleValue(families, 'job_runs_total', { job_name: 'probe', outcome: 'succeeded' }), 1)
  const withJob = [...families.values()].filter(family =>
    family.metrics.some(metric => metric.labels?.job !== undefined)
  )
  t.same(
    withJob.map(family => family.name),
    [],
    'no metric carries a job label'
  )
})

t.test('the exposition parses as the Prometheus text format, and promtool finds no problem in it', async t => {
  const ctx = await buildTestApp(t)
  const { text, families } = await scrape(ctx)
  for (const name of [
    'core314_anomalies_open',
    'core314_recovery_actions',
    'core314_recovery_actions_pending_approval',
    'core314_circuit_breakers',
    'core314_healing_mode',
    'core314_escalations_total',
    'core314_escalation_notifications_total',
    'core314_llm_calls_total',
    'core314_recovery_action_attempts_total',
    'core314_health_events_refused_total',
    'core314_detection_run_duration_seconds',
    'core314_healing_run_duration_seconds',
    'job_runs_total',
    'http_request_duration_seconds',
    'db_pool_in_use'
  ]) {
    t.ok(families.has(name), `${name} is exposed`)
  }
  t.equal(families.get('core314_detection_run_duration_seconds')?.type, 'HISTOGRAM')
  t.equal(families.get('core314_escalations_total')?.type, 'COUNTER')
  t.equal(families.get('core314_anomalies_open')?.type, 'GAUGE')
  const tool = promtool()
  if (tool === undefined) {
    t.comment('promtool is not installed here; .ci/run installs it (Debian package prometheus)')
    return
  }
  const checked = spawnSync(tool, ['check', 'metrics'], { input: text, encoding: 'utf8' })
  // prom-client's own default gauges nodejs_active_*_total break the suffix rule; ours must not.
  const problems = `${checked.stdout}${checked.stderr}`
    .split('\n')
    .filter(line => line.trim() !== '' && !/^nodejs_active_\w+_total non-counter metrics/.test(line))
  t.same(problems, [], "promtool check metrics finds nothing in the service's own metrics")
})

t.test(
  'alert names do not become series: open anomalies of types the service does not raise are counted as other',
  async t => {
    const ctx = await buildTestApp(t)
    const key = await createIngestKey(ctx, 'alertmanager')
    const alerts = Array.from({ length: 300 }, (_, n) => ({
      status: 'firing',
      labels: { alertname: `CallerChosen${n}`, service: 'checkout', severity: 'warning' },
      startsAt: new Date().toISOString()
    }))
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/integrations/alertmanager',
      headers: { authorization: `Bearer ${key}` },
      payload: { version: '4', status: 'firing', alerts }
    })
    t.equal(res.statusCode, 200)
    t.equal(res.json().opened, 300)
    const detected = await ctx.app.inject({
      method: 'POST',
      url: '/v1/anomalies',
      headers: ctx.service.headers,
      payload: { anomaly_type: 'latency_spike', severity: 'medium', source_type: 'system_health_events' }
    })
    t.equal(detected.statusCode, 201)

    const { families } = await scrape(ctx)
    t.same(
      families
        .get('core314_anomalies_open')
        ?.metrics.map(metric => metric.labels?.anomaly_type)
        .sort(),
      ['latency_spike', 'other'],
      'two series, whatever the alerts are named'
    )
    t.equal(sampleValue(families, 'core314_anomalies_open', { severity: 'medium', anomaly_type: 'other' }), 300)
    t.equal(sampleValue(families, 'core314_anomalies_open', { severity: 'medium', anomaly_type: 'latency_spike' }), 1)
  }
)

t.test('gauges follow the database: open anomalies, unfinished actions, approvals, breakers, the mode', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const organization = { organization_id: ctx.user.organizationId, user_id: ctx.user.id }
  for (const [type, severity, component] of [
    ['latency_spike', 'critical', 'checkout-api'],
    ['latency_spike', 'critical', 'search-api'],
    ['error_rate_increase', 'high', 'checkout-api']
  ]) {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/anomalies',
      headers: ctx.service.headers,
      payload: {
        ...organization,
        anomaly_type: type,
        severity,
        source_type: 'system_health_events',
        source_component_name: component
      }
    })
    t.equal(res.statusCode, 201)
  }
  await sql`insert into anomaly_signals (anomaly_type, severity, source_type, status) values ('latency_spike', 'critical', 'system_health_events', 'resolved')`
  const approval = await ctx.app.inject({
    method: 'POST',
    url: '/v1/recovery-actions',
    headers: ctx.service.headers,
    payload: {
      ...organization,
      action_type: 'rollback_deployment',
      target_component_name: 'checkout-api',
      requires_approval: true
    }
  })
  t.equal(approval.statusCode, 201)
  await sql`insert into circuit_breakers (component_name, organization_id, state, opened_at, next_probe_at) values
    ('a', ${ctx.user.organizationId}, 'open', now(), now() + interval '1 minute'), ('b', null, 'open', now(), now() + interval '1 minute'), ('c', null, 'closed', null, null)`
  const mode = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/self-healing/mode',
    headers: ctx.admin.headers,
    payload: { mode: 'off', reason: 'metrics test' }
  })
  t.equal(mode.statusCode, 200)

  const { families } = await scrape(ctx)
  t.equal(
    sampleValue(families, 'core314_anomalies_open', { severity: 'critical', anomaly_type: 'latency_spike' }),
    2,
    'resolved signals are not counted'
  )
  t.equal(sampleValue(families, 'core314_anomalies_open', { severity: 'high', anomaly_type: 'error_rate_increase' }), 1)
  t.equal(sampleValue(families, 'core314_recovery_actions', { status: 'pending_approval' }), 1)
  t.equal(
    sampleValue(families, 'core314_recovery_actions', { status: 'running' }),
    0,
    'every unfinished status has a series'
  )
  t.equal(sampleValue(families, 'core314_recovery_actions_pending_approval'), 1)
  t.equal(sampleValue(families, 'core314_circuit_breakers', { state: 'open' }), 2)
  t.equal(sampleValue(families, 'core314_circuit_breakers', { state: 'closed' }), 1)
  t.equal(sampleValue(families, 'core314_circuit_breakers', { state: 'half_open' }), 0)
  t.equal(sampleValue(families, 'core314_healing_mode', { mode: 'off' }), 1)
  t.equal(sampleValue(families, 'core314_healing_mode', { mode: 'auto' }), 0)

  const labels = new Set(
    [...families.values()].flatMap(family => family.metrics.flatMap(metric => Object.keys(metric.labels ?? {})))
  )
  for (const tenantLabel of ['organization_id', 'user_id', 'component_name', 'organization'])
    t.notOk(labels.has(tenantLabel), `no ${tenantLabel} label`)
})

t.test(
  'counters and histograms follow what happened: refusals, escalations and their notifications, LLM outcomes, attempts, run durations',
  async t => {
    const slack = await startControlEndpoint(t)
    const webhook = await startControlEndpoint(t)
    webhook.script({ status: 500 }, { status: 500 })
    const ctx = await buildTestApp(t, {
      healing: fastHealing({ escalationSlackWebhookUrl: slack.url, escalationWebhookUrl: webhook.url })
    })
    const before = await scrape(ctx)
    t.equal(
      sampleValue(before.families, 'core314_health_events_refused_total', { reason: 'invalid' }),
      0,
      'the series exists before any refusal'
    )

    const one = await ctx.app.inject({
      method: 'POST',
      url: '/v1/health-events',
      headers: ctx.service.headers,
      payload: { component_type: 'edge_function', component_name: 'x', status: 'fine' }
    })
    t.equal(one.statusCode, 400)
    const batch = await ctx.app.inject({
      method: 'POST',
      url: '/v1/health-events/batch',
      headers: ctx.service.headers,
      payload: {
        events: [
          { component_type: 'edge_function', component_name: 'x', status: 'healthy' },
          { component_type: 'edge_function', component_name: 'x', status: 'healthy', latency_ms: -1 },
          { component_type: 'edge_function', component_name: 'x', status: 'healthy' }
        ]
      }
    })
    t.equal(batch.statusCode, 400)
    const stored = await ctx.app.inject({
      method: 'POST',
      url: '/v1/health-events',
      headers: ctx.service.headers,
      payload: { component_type: 'edge_function', component_name: 'x', status: 'healthy' }
    })
    t.equal(stored.statusCode, 201)

    const action = await ctx.app.inject({
      method: 'POST',
      url: '/v1/recovery-actions',
      headers: ctx.service.headers,
      payload: {
        action_type: 'alert_escalation',
        target_component_name: 'checkout-api',
        action_parameters: { severity: 'critical' },
        max_attempts: 1
      }
    })
    t.equal(action.statusCode, 201)
    const executed = await ctx.app.inject({
      method: 'POST',
      url: `/v1/recovery-actions/${action.json().id as string}/execute`,
      headers: ctx.service.headers
    })
    t.equal(executed.json().execution_status, 'succeeded', 'one channel took it')

    await createRootCauseAnalyzer().analyze(anomalyFacts(), ALLOWED_ACTIONS)
    t.equal(
      (await ctx.app.inject({ method: 'POST', url: '/v1/anomalies/detect', headers: ctx.admin.headers, payload: {} }))
        .statusCode,
      200
    )
    t.equal(
      (await ctx.app.inject({ method: 'POST', url: '/v1/self-healing/run', headers: ctx.admin.headers, payload: {} }))
        .statusCode,
      200
    )

    const { families } = await scrape(ctx)
    t.equal(
      sampleValue(families, 'core314_health_events_refused_total', { reason: 'invalid' }),
      4,
      'one event and a batch of three, all refused'
    )
    t.equal(sampleValue(families, 'core314_escalations_total', { severity: 'critical' }), 1)
    t.equal(
      sampleValue(families, 'core314_escalation_notifications_total', { channel_kind: 'slack', outcome: 'sent' }),
      1
    )
    t.equal(
      sampleValue(families, 'core314_escalation_notifications_total', { channel_kind: 'webhook', outcome: 'failed' }),
      1
    )
    t.equal(sampleValue(families, 'core314_llm_calls_total', { outcome: 'no_api_key' }), 1)
    t.equal(
      sampleValue(families, 'core314_recovery_action_attempts_total', {
        action_type: 'alert_escalation',
        status: 'succeeded'
      }),
      1
    )
    t.equal(sampleValue(families, 'core314_detection_run_duration_seconds'), 1, 'one detection run observed')
    t.equal(sampleValue(families, 'core314_healing_run_duration_seconds'), 1, 'one healing run observed')
  }
)
