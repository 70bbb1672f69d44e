// detection_canary and healing_dry_run, against the real detector evaluation and the real
// healing mapping and executors: they pass as configured, leave nothing behind, and fail when
// the detector is configured blind or the mapping points at an action nobody runs.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { named, runTest } from '../../helpers/selftests.js'
import { BUILT_IN_TESTS } from '../../../src/services/selftests/registry.js'
import { createDetectionCanary } from '../../../src/services/selftests/tests/detection-canary.js'

const tables = async (sql: ReturnType<typeof ownerSql>): Promise<Record<string, number>> => {
  const [row] = await sql<Array<Record<string, number>>>`select
    (select count(*)::int from anomaly_signals) as anomaly_signals,
    (select count(*)::int from system_health_events) as system_health_events,
    (select count(*)::int from recovery_actions) as recovery_actions,
    (select count(*)::int from circuit_breakers) as circuit_breakers,
    (select count(*)::int from escalation_events) as escalation_events`
  return row ?? {}
}

t.test('detection_canary finds the spike and stays quiet on the steady series, writing nothing', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const before = await tables(sql)
  const row = await runTest(ctx, 'detection_canary')
  t.match(row, { test_result: 'passed', test_category: 'detection', fail_count: 0 })
  t.same(named(row, 'assertions_passed'), [
    'spike_detected',
    'spike_observed_value',
    'steady_series_quiet',
    'no_rows_left'
  ])
  t.same(await tables(sql), before, 'no rows left behind')
})

t.test('detection_canary fails when the detector is configured not to see latency', async t => {
  const ctx = await buildTestApp(t)
  const blind = createDetectionCanary({
    rules: { latency_ms: { absoluteLimit: 1_000_000, baselineFactor: 1000 } },
    adaptiveScoreThreshold: 2
  })
  const row = await runTest(ctx, 'detection_canary', { tests: [blind] })
  t.match(row, {
    test_result: 'failed',
    severity: 'high',
    failure_reason: /spike_detected: a 3000 ms spike over a 120 ms baseline was not found/
  })
})

t.test('detection_canary runs with the configured DETECT_* settings, not the defaults', async t => {
  const ctx = await buildTestApp(t)
  // More warm-up than the canary's three hours of history, and a limit above its spike: the
  // detector as configured cannot see it, and the canary must say so rather than pass on defaults.
  const detection = {
    ...ctx.config.detection,
    minHistoryPoints: 500,
    rules: { ...ctx.config.detection.rules, latency_ms: { baselineFactor: 2, absoluteLimit: 5000 } }
  }
  const row = await runTest({ ...ctx, config: { ...ctx.config, detection } }, 'detection_canary')
  t.match(row, {
    test_result: 'failed',
    failure_reason: /spike_detected: a 3000 ms spike over a 120 ms baseline was not found/
  })
  t.match(row.test_parameters, {
    detector_settings: { minHistoryPoints: 500, rules: { latency_ms: { absoluteLimit: 5000 } } }
  })
})

t.test('detection_canary finds the spike by a configured absolute limit', async t => {
  const ctx = await buildTestApp(t)
  const lower = {
    ...ctx.config.detection,
    rules: { ...ctx.config.detection.rules, latency_ms: { baselineFactor: 100, absoluteLimit: 2500 } }
  }
  const found = await runTest({ ...ctx, config: { ...ctx.config, detection: lower } }, 'detection_canary')
  t.match(found, { test_result: 'passed' }, found.failure_reason ?? '')
  t.match(found.test_output, /rule:latency_ms>absolute_limit_2500/, 'the configured absolute limit found it')
  t.notMatch(found.test_output, /2x_baseline/, 'and not the default 2x baseline rule')
})

t.test('healing_dry_run maps the seed table and simulates each action without side effects', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const before = await tables(sql)
  const row = await runTest(ctx, 'healing_dry_run')
  t.match(row, { test_result: 'passed', test_category: 'healing', fail_count: 0, pass_count: 15 })
  t.ok(named(row, 'assertions_passed').includes('error_rate_increase:critical_dry_run'))
  t.match(row.test_output, /PASS latency_spike:critical_mapped: latency_spike:critical maps to restart_function/)
  t.match(
    row.test_output,
    /PASS selftest_canary_unmapped:low_mapped: selftest_canary_unmapped:low maps to alert_escalation/
  )
  t.same(await tables(sql), before, 'nothing stored, sent or escalated')
})

t.test('healing_dry_run follows HEAL_ACTION_MAP and fails on an action no executor runs', async t => {
  const ctx = await buildTestApp(t)
  const healing = {
    ...ctx.config.healing,
    actionMap: { 'latency_spike:high': 'restart_function' },
    defaultAction: 'page_the_intern'
  }
  const row = await runTest({ ...ctx, config: { ...ctx.config, healing } }, 'healing_dry_run')
  t.match(row.test_output, /PASS latency_spike:high_mapped: latency_spike:high maps to restart_function/)
  t.match(row, {
    test_result: 'failed',
    failure_reason: /selftest_canary_unmapped:low_dry_run: no executor runs page_the_intern/
  })
  t.same(named(row, 'assertions_failed'), ['selftest_canary_unmapped:low_dry_run'])
})

t.test('every built-in test is registered once, with a category from the issue', async t => {
  t.same(
    BUILT_IN_TESTS.map(test => [test.name, test.category]),
    [
      ['database_connectivity', 'database'],
      ['migrations_current', 'database'],
      ['rls_isolation', 'security'],
      ['detection_canary', 'detection'],
      ['healing_dry_run', 'healing'],
      ['llm_reachability', 'analysis'],
      ['control_targets', 'healing'],
      ['api_availability', 'api'],
      ['job_freshness', 'jobs']
    ]
  )
})
