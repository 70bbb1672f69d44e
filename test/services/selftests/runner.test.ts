// The runner: a hanging test is stopped at its timeout and recorded as such, a throwing one as
// an error with its stack, and neither stops the others; every run is a full row; a run slower
// than its baseline is a regression that raises a signal, a repeat updates that signal, and a
// healthy run resolves it; a pinned baseline is used instead of the median.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { probeTest, runTests, runTest } from '../../helpers/selftests.js'
import { SELFTEST_COLUMNS } from '../../../src/schemas/selftests.js'

const sleep = async (ms: number): Promise<void> => {
  await new Promise(resolve => setTimeout(resolve, ms))
}

const passing = probeTest('probe_pass', async ({ assert }) => {
  await assert.probe(async () => {
    await sleep(5)
  })
  assert.pass('works', 'it works', { security: true })
})

t.test('a hanging test times out, a throwing one errors, and the others still run', async t => {
  const ctx = await buildTestApp(t)
  let stopped = false
  const hanging = probeTest(
    'probe_hang',
    async ({ assert, signal }) => {
      assert.pass('started', 'got going')
      signal.addEventListener('abort', () => {
        stopped = true
      })
      await new Promise(() => {})
    },
    { timeoutSeconds: 1 }
  )
  const throwing = probeTest('probe_throw', async () => {
    throw new Error('the probe exploded')
  })
  const started = Date.now()
  const rows = await runTests(ctx, undefined, { tests: [hanging, throwing, passing] })
  t.ok(Date.now() - started < 4000, 'the hang did not hold the run past its timeout')
  t.same(
    rows.map(row => row.test_name),
    ['probe_hang', 'probe_throw', 'probe_pass']
  )
  const [hang, thrown, passed] = rows
  t.match(hang, {
    execution_status: 'timeout',
    test_result: 'failed',
    success: false,
    timeout_seconds: 1,
    health_score: 0,
    performance_score: 0,
    error_message: 'timed out after 1 s',
    failure_reason: /within its timeout of 1 s/,
    action_required: true,
    severity: 'high'
  })
  // Timers may fire a fraction of a millisecond before performance.now() says the time is up.
  t.ok((hang?.execution_duration_ms ?? 0) >= 990, 'ran until its timeout')
  t.ok(stopped, 'the hanging test was told to stop')
  t.match(thrown, {
    execution_status: 'error',
    test_result: 'error',
    success: false,
    error_message: 'the probe exploded',
    error_stack_trace: /Error: the probe exploded\n\s+at /,
    failure_reason: /the test threw/
  })
  t.match(passed, { execution_status: 'completed', test_result: 'passed', success: true })

  const sql = ownerSql(t, ctx.databaseUrl)
  const signals =
    await sql`select anomaly_type, source_component_name, severity, status from anomaly_signals order by source_component_name`
  t.same(
    signals,
    [
      {
        anomaly_type: 'selftest_failure',
        source_component_name: 'selftest:probe_hang',
        severity: 'high',
        status: 'open'
      },
      {
        anomaly_type: 'selftest_failure',
        source_component_name: 'selftest:probe_throw',
        severity: 'high',
        status: 'open'
      }
    ],
    'each failure raised a signal'
  )
  t.match(hang?.notifications_sent, [
    { channel: 'anomaly_signals', anomaly_type: 'selftest_failure', action: 'opened' }
  ])
  t.same(hang?.notification_channels, ['anomaly_signals'])
})

t.test('a result carries every column the seed lists, filled', async t => {
  const ctx = await buildTestApp(t)
  await runTests(ctx, undefined, { tests: [passing] })
  const warned = probeTest(
    'probe_pass',
    async ({ assert }) => {
      await assert.probe(async () => {
        await sleep(5)
      })
      assert.pass('works', 'it works', { security: true })
      assert.warn('slowish', 'a little slow', { recommendation: 'make it faster' })
      assert.skip('optional', 'not configured')
    },
    { parameters: () => ({ knob: 3 }) }
  )
  const [row] = await runTests(ctx, undefined, { tests: [warned] })
  const seed = [
    'id',
    'user_id',
    'organization_id',
    'test_name',
    'test_category',
    'test_type',
    'test_description',
    'test_version',
    'execution_mode',
    'scheduled_by',
    'triggered_by_user_id',
    'trigger_reason',
    'target_component_type',
    'target_component_name',
    'target_environment',
    'execution_status',
    'started_at',
    'completed_at',
    'execution_duration_ms',
    'timeout_seconds',
    'test_result',
    'success',
    'pass_count',
    'fail_count',
    'warning_count',
    'skip_count',
    'total_assertions',
    'test_output',
    'test_summary',
    'failure_reason',
    'error_message',
    'error_stack_trace',
    'response_time_ms',
    'throughput_per_second',
    'error_rate',
    'cpu_usage_percent',
    'memory_usage_mb',
    'assertions_passed',
    'assertions_failed',
    'assertions_warnings',
    'baseline_test_id',
    'baseline_deviation_percentage',
    'regression_detected',
    'improvement_detected',
    'health_score',
    'reliability_score',
    'performance_score',
    'security_score',
    'recommendations',
    'action_required',
    'severity',
    'notifications_sent',
    'notification_channels',
    'alerted_users',
    'test_config',
    'test_parameters'
  ]
  t.same(
    seed.filter(column => !(column in (row as object))),
    [],
    'every seed column is on the row'
  )
  t.same(
    SELFTEST_COLUMNS.filter(column => !seed.includes(column)),
    [],
    'and the runner writes no column the seed does not list'
  )
  t.match(row, {
    test_category: 'database',
    test_type: 'probe',
    test_description: 'test double probe_pass',
    test_version: '0.0.1',
    execution_mode: 'manual',
    scheduled_by: 'test',
    trigger_reason: 'tap',
    target_component_type: 'test',
    target_component_name: 'probe_pass',
    target_environment: 'production',
    execution_status: 'completed',
    test_result: 'warning',
    success: true,
    timeout_seconds: 5,
    pass_count: 1,
    fail_count: 0,
    warning_count: 1,
    skip_count: 1,
    total_assertions: 3,
    test_output: 'PASS works: it works\nWARN slowish: a little slow\nSKIP optional: not configured',
    test_summary: /probe_pass warning: 1\/3 assertions passed, 0 failed, 1 warned, 1 skipped in \d+ ms/,
    failure_reason: null,
    error_message: null,
    error_stack_trace: null,
    error_rate: 0,
    assertions_passed: [{ name: 'works', status: 'pass', security: true }],
    assertions_failed: [],
    assertions_warnings: [{ name: 'slowish' }],
    health_score: 75,
    reliability_score: 100,
    security_score: 100,
    recommendations: ['make it faster'],
    action_required: false,
    severity: 'medium',
    test_config: {
      timeout_seconds: 5,
      baseline_runs: 10,
      regression_threshold_percentage: 50,
      regression_min_ms: 100,
      regression_runs: 2,
      schedule: '*/15 * * * *',
      schedule_source: 'SELFTEST_CRON'
    },
    test_parameters: { knob: 3 }
  })
  for (const column of [
    'started_at',
    'completed_at',
    'execution_duration_ms',
    'response_time_ms',
    'throughput_per_second',
    'cpu_usage_percent',
    'memory_usage_mb',
    'baseline_deviation_percentage',
    'performance_score'
  ] as const) {
    t.not(row?.[column], null, `${column} is set`)
  }
  t.ok(new Date(row?.completed_at ?? 0) >= new Date(row?.started_at ?? 0))
})

t.test(
  'slower than the median of recent runs is a regression: signalled once it lasts SELFTEST_REGRESSION_RUNS runs, updated by a repeat, resolved by a healthy run',
  async t => {
    const ctx = await buildTestApp(t)
    let delay = 20
    const timed = probeTest('probe_timed', async ({ assert }) => {
      await assert.probe(async () => {
        await sleep(delay)
      })
      assert.pass('works', 'it works')
    })
    const baselines = await runTests(ctx, undefined, { tests: [timed, timed, timed] })
    t.notOk(baselines.some(row => row.regression_detected))

    delay = 60
    const [jitter] = await runTests(ctx, undefined, { tests: [timed] })
    t.ok((jitter?.baseline_deviation_percentage ?? 0) > 50, 'over the percentage threshold...')
    t.equal(
      jitter?.regression_detected,
      false,
      '...but under SELFTEST_REGRESSION_MIN_MS slower is noise, not a regression'
    )

    const sql = ownerSql(t, ctx.databaseUrl)
    const signal = async () =>
      await sql`select id, anomaly_type, status, historical_occurrences, source_id, severity from anomaly_signals`

    delay = 200
    const [slow] = await runTests(ctx, undefined, { tests: [timed] })
    t.match(slow, {
      test_result: 'passed',
      regression_detected: true,
      improvement_detected: false,
      action_required: true,
      severity: 'medium'
    })
    t.ok((slow?.baseline_deviation_percentage ?? 0) > 50, `deviation ${slow?.baseline_deviation_percentage}%`)
    t.ok((slow?.performance_score ?? 100) < 100)
    t.match(slow?.recommendations, [/Find what slowed probe_timed/])
    t.same(await signal(), [], 'one slow run is recorded on its result but pages nobody')
    t.same(slow?.notifications_sent, [])

    const comparison = (
      await ctx.app.inject({
        url: `/v1/selftests/${slow?.id}/baseline-comparison?threshold_percentage=50`,
        headers: ctx.admin.headers
      })
    ).json()
    t.match(
      comparison,
      {
        baseline_source: 'median_of_recent',
        baseline_run_count: 4,
        regression_detected: true,
        baseline_deviation_percentage: slow?.baseline_deviation_percentage
      },
      "the stored comparison is compare_with_baseline's"
    )

    const [second] = await runTests(ctx, undefined, { tests: [timed] })
    t.equal(second?.regression_detected, true)
    const [opened] = await signal()
    t.match(
      opened,
      {
        anomaly_type: 'selftest_regression',
        status: 'open',
        historical_occurrences: 1,
        source_id: second?.id,
        severity: 'medium'
      },
      'the second slow run in a row opens the signal'
    )
    t.match(second?.notifications_sent, [
      { anomaly_type: 'selftest_regression', action: 'opened', anomaly_id: opened?.id }
    ])

    const [again] = await runTests(ctx, undefined, { tests: [timed] })
    t.equal(again?.regression_detected, true)
    const [updated] = await signal()
    t.match(
      updated,
      { id: opened?.id, status: 'open', historical_occurrences: 2, source_id: again?.id },
      'a repeat updates the open signal'
    )
    t.match(again?.notifications_sent, [
      { anomaly_type: 'selftest_regression', action: 'updated', anomaly_id: updated?.id }
    ])

    delay = 5
    const [healthy] = await runTests(ctx, undefined, { tests: [timed] })
    t.equal(healthy?.regression_detected, false)
    t.match(await signal(), [{ status: 'resolved' }], 'a healthy run resolves it')
    t.match(healthy?.notifications_sent, [{ action: 'resolved', anomaly_type: 'selftest_regression' }])
  }
)

t.test('a slow run between healthy ones never signals; SELFTEST_REGRESSION_RUNS=1 signals the first', async t => {
  const ctx = await buildTestApp(t)
  let delay = 20
  const timed = probeTest('probe_timed', async ({ assert }) => {
    await assert.probe(async () => {
      await sleep(delay)
    })
    assert.pass('works', 'it works')
  })
  await runTests(ctx, undefined, { tests: [timed, timed, timed] })
  const sql = ownerSql(t, ctx.databaseUrl)
  const signals = async () => await sql`select anomaly_type, status from anomaly_signals`

  for (const pattern of [200, 20, 200, 20]) {
    delay = pattern
    const [row] = await runTests(ctx, undefined, { tests: [timed] })
    t.equal(row?.regression_detected, pattern === 200, `a ${pattern} ms run`)
  }
  t.same(await signals(), [], 'alternating slow and healthy runs open nothing')

  delay = 200
  const eager = { ...ctx, config: { ...ctx.config, selftests: { ...ctx.config.selftests, regressionRuns: 1 } } }
  const [row] = await runTests(eager, undefined, { tests: [timed] })
  t.equal(row?.regression_detected, true)
  t.match(await signals(), [{ anomaly_type: 'selftest_regression', status: 'open' }])
})

t.test('a pinned baseline is compared with instead of the median', async t => {
  const ctx = await buildTestApp(t)
  const [pinned] = await runTests(ctx, undefined, { tests: [passing] })
  const config = {
    ...ctx.config,
    selftests: {
      ...ctx.config.selftests,
      baselines: { probe_pass: pinned?.id as string, probe_other: pinned?.id as string }
    }
  }
  const row = await runTest({ ...ctx, config }, 'probe_pass', { tests: [passing] })
  t.equal(row.baseline_test_id, pinned?.id)
  const comparison = (
    await ctx.app.inject({ url: `/v1/selftests/${row.id}/baseline-comparison`, headers: ctx.admin.headers })
  ).json()
  t.match(comparison, { baseline_source: 'pinned', baseline_test_id: pinned?.id })

  const other = probeTest('probe_other', async ({ assert }) => {
    assert.pass('works', 'it works')
  })
  t.equal(
    (await runTest({ ...ctx, config }, 'probe_other', { tests: [other] })).baseline_test_id,
    null,
    "a pin to another test's result is ignored"
  )
})
