// selftest_results: constraints, deleting old results that newer ones use as baseline, and
// the four self-test helper functions on known rows.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { ORG, OTHER_ORG, OTHER_USER, USER, as, database, failure, minutesAgo, type Db } from './fixtures.js'

async function result(sql: Db, fields: Record<string, unknown> = {}): Promise<string> {
  const row = {
    test_name: 'database_latency',
    test_category: 'database',
    user_id: USER,
    organization_id: ORG,
    ...fields
  }
  const [inserted] = await sql<Array<{ id: string }>>`insert into selftest_results ${sql(row)} returning id`
  return inserted!.id
}

t.test('constraints refuse values outside the contract', async t => {
  const sql = await database(t)
  const id = randomUUID()
  const bad: Array<[string, Record<string, unknown>]> = [
    ['an unknown execution mode', { execution_mode: 'cron' }],
    ['an unknown execution status', { execution_status: 'done' }],
    ['an unknown verdict', { test_result: 'ok' }],
    ['a health score over 100', { health_score: 120 }],
    ['a negative security score', { security_score: -1 }],
    ['an error rate over 100 %', { error_rate: 150 }],
    ['a negative pass count', { pass_count: -1 }],
    ['completion before start', { started_at: minutesAgo(1), completed_at: minutesAgo(2) }],
    ['its own baseline', { id, baseline_test_id: id }],
    ['assertions that are not a list', { assertions_failed: { a: 1 } }]
  ]
  for (const [name, fields] of bad) {
    const error = await failure(as(sql, 'service', async tx => await result(tx, fields)))
    t.equal(error?.code, '23514', `${name}: check violation`)
  }
  const missing = await failure(as(sql, 'service', async tx => await result(tx, { baseline_test_id: randomUUID() })))
  t.equal(missing?.code, '23503', 'a baseline that does not exist')
})

t.test('an admin deletes old results even when newer ones use them as baseline', async t => {
  const sql = await database(t)
  const old = await result(sql, { created_at: minutesAgo(3 * 24 * 60), user_id: OTHER_USER })
  const newer = await result(sql, { created_at: minutesAgo(60), baseline_test_id: old })
  const deleted = await as(
    sql,
    'admin',
    async tx => await tx`delete from selftest_results where created_at < now() - interval '2 days'`
  )
  t.equal(deleted.count, 1)
  const [row] = await sql<
    Array<{ baseline_test_id: string | null }>
  >`select baseline_test_id from selftest_results where id = ${newer}`
  t.equal(row?.baseline_test_id, null, 'the newer result loses its baseline reference')
  const refused = await as(sql, 'user', async tx => await tx`delete from selftest_results`)
  t.equal(refused.count, 0, 'a user deletes nothing, not even their own results')
})

t.test('get_latest_selftest_results: the newest result of each test', async t => {
  const sql = await database(t)
  await result(sql, { created_at: minutesAgo(30) })
  const latency = await result(sql, { created_at: minutesAgo(10) })
  await result(sql, { created_at: minutesAgo(20) })
  const migrations = await result(sql, { test_name: 'migrations_current', created_at: minutesAgo(40) })
  await result(sql, { test_name: 'migrations_current', created_at: minutesAgo(50) })
  const canary = await result(sql, {
    test_name: 'rls_canary',
    test_category: 'security',
    created_at: minutesAgo(5),
    user_id: OTHER_USER,
    organization_id: OTHER_ORG
  })
  const ids = async (who: 'service' | 'user', query: (tx: Db) => Promise<Array<{ id: string }>>): Promise<string[]> =>
    (await as(sql, who, query)).map(row => row.id)
  t.same(await ids('service', async tx => await tx`select id from get_latest_selftest_results()`), [
    latency,
    migrations,
    canary
  ])
  t.same(await ids('service', async tx => await tx`select id from get_latest_selftest_results('security')`), [canary])
  t.same(
    await ids('service', async tx => await tx`select id from get_latest_selftest_results(p_organization_id => ${ORG})`),
    [latency, migrations]
  )
  t.same(
    await ids('user', async tx => await tx`select id from get_latest_selftest_results()`),
    [latency, migrations],
    'a user sees their own'
  )
})

t.test('get_selftest_statistics: runs, verdicts and durations per test', async t => {
  const sql = await database(t)
  const at = (minutes: number, fields: Record<string, unknown>): Promise<string> =>
    result(sql, { created_at: minutesAgo(minutes), execution_status: 'completed', ...fields })
  await at(60, { test_result: 'passed', success: true, execution_duration_ms: 100, health_score: 90 })
  await at(50, { test_result: 'passed', success: true, execution_duration_ms: 200, health_score: 80 })
  await at(40, {
    test_result: 'failed',
    success: false,
    execution_duration_ms: 300,
    health_score: 40,
    regression_detected: true
  })
  await at(30, { test_result: 'skipped', execution_duration_ms: 0 })
  await at(20, { test_result: 'error', execution_status: 'timeout', execution_duration_ms: 400, health_score: 10 })
  await at(3 * 24 * 60, { test_result: 'failed' })
  await at(10, {
    test_name: 'api_answers',
    test_category: 'api',
    test_result: 'warning',
    success: true,
    execution_duration_ms: 50,
    health_score: 75
  })
  const rows = await as(sql, 'service', async tx => await tx`select * from get_selftest_statistics()`)
  t.same(
    rows.map(row => ({ ...row, last_run_at: undefined })),
    [
      {
        test_name: 'api_answers',
        test_category: 'api',
        run_count: 1,
        passed_count: 0,
        failed_count: 0,
        warning_count: 1,
        error_count: 0,
        pass_rate: 0,
        avg_execution_duration_ms: 50,
        p95_execution_duration_ms: 50,
        avg_health_score: 75,
        regression_count: 0,
        last_run_at: undefined,
        last_test_result: 'warning'
      },
      {
        test_name: 'database_latency',
        test_category: 'database',
        run_count: 5,
        passed_count: 2,
        failed_count: 1,
        warning_count: 0,
        error_count: 1,
        pass_rate: 50,
        avg_execution_duration_ms: 200,
        p95_execution_duration_ms: 380,
        avg_health_score: 55,
        regression_count: 1,
        last_run_at: undefined,
        last_test_result: 'error'
      }
    ]
  )
  const api = await as(
    sql,
    'service',
    async tx => await tx`select test_name from get_selftest_statistics(p_test_category => 'api')`
  )
  t.same(api, [{ test_name: 'api_answers' }])
})

t.test('get_selftest_trends: buckets per test', async t => {
  const sql = await database(t)
  const hour = new Date(Math.floor((Date.now() - 5 * 3_600_000) / 3_600_000) * 3_600_000)
  const at = (minutes: number): Date => new Date(hour.getTime() + minutes * 60_000)
  await result(sql, {
    created_at: at(10),
    test_result: 'passed',
    execution_duration_ms: 100,
    response_time_ms: 10,
    health_score: 100,
    reliability_score: 90,
    performance_score: 80,
    security_score: 70
  })
  await result(sql, {
    created_at: at(40),
    test_result: 'failed',
    execution_duration_ms: 300,
    response_time_ms: 30,
    health_score: 50,
    reliability_score: 50,
    performance_score: 50,
    security_score: 50,
    regression_detected: true
  })
  await result(sql, { created_at: at(70), test_result: 'passed', execution_duration_ms: 200 })
  await result(sql, { created_at: at(75), test_name: 'api_answers', test_category: 'api', test_result: 'passed' })
  const rows = await as(
    sql,
    'service',
    async tx =>
      await tx`
    select * from get_selftest_trends('database_latency', now() - interval '6 hours', now(), interval '1 hour')`
  )
  t.same(rows, [
    {
      bucket_start: hour,
      test_name: 'database_latency',
      run_count: 2,
      pass_rate: 50,
      avg_execution_duration_ms: 200,
      avg_response_time_ms: 20,
      avg_health_score: 75,
      avg_reliability_score: 70,
      avg_performance_score: 65,
      avg_security_score: 60,
      regression_count: 1
    },
    {
      bucket_start: at(60),
      test_name: 'database_latency',
      run_count: 1,
      pass_rate: 100,
      avg_execution_duration_ms: 200,
      avg_response_time_ms: null,
      avg_health_score: null,
      avg_reliability_score: null,
      avg_performance_score: null,
      avg_security_score: null,
      regression_count: 0
    }
  ])
  const all = await as(
    sql,
    'service',
    async tx => await tx`select test_name, run_count from get_selftest_trends(p_bucket => interval '1 day')`
  )
  t.equal(
    all.reduce((sum, row) => sum + (row.run_count as number), 0),
    4,
    'all tests over the default week'
  )
  const error = await failure(
    as(sql, 'service', async tx => await tx`select * from get_selftest_trends(p_bucket => interval '-1 hour')`)
  )
  t.equal(error?.code, '22023')
})

t.test('compare_with_baseline', async t => {
  const sql = await database(t)
  const run = (minutes: number, fields: Record<string, unknown>): Promise<string> =>
    result(sql, { created_at: minutesAgo(minutes), execution_status: 'completed', ...fields })
  for (const [minutes, duration, response, health] of [
    [100, 100, 10, 90],
    [90, 200, 20, 80],
    [80, 300, 30, 70],
    [70, 400, 40, 60]
  ]) {
    await run(minutes!, {
      success: true,
      test_result: 'passed',
      execution_duration_ms: duration,
      response_time_ms: response,
      health_score: health
    })
  }
  await run(65, { success: false, test_result: 'failed', execution_duration_ms: 9000 })
  await run(64, { success: true, test_result: 'passed', execution_duration_ms: 1, organization_id: OTHER_ORG })

  t.test('against the median of recent successful runs', async t => {
    const slow = await run(60, {
      success: true,
      test_result: 'passed',
      execution_duration_ms: 500,
      response_time_ms: 25,
      health_score: 70
    })
    const [row] = await as(sql, 'service', async tx => await tx`select * from compare_with_baseline(${slow})`)
    t.same(row, {
      test_id: slow,
      test_name: 'database_latency',
      baseline_source: 'median_of_recent',
      baseline_test_id: null,
      baseline_run_count: 4,
      current_success: true,
      baseline_success: true,
      current_execution_duration_ms: 500,
      baseline_execution_duration_ms: 250,
      baseline_deviation_percentage: 100,
      current_response_time_ms: 25,
      baseline_response_time_ms: 25,
      response_time_deviation_percentage: 0,
      current_health_score: 70,
      baseline_health_score: 75,
      regression_detected: true,
      improvement_detected: false
    })
    const [lastTwo] = await as(
      sql,
      'service',
      async tx =>
        await tx`select baseline_run_count, baseline_execution_duration_ms, regression_detected from compare_with_baseline(${slow}, 2, 40)`
    )
    t.same(lastTwo, { baseline_run_count: 2, baseline_execution_duration_ms: 350, regression_detected: true })
    const [lenient] = await as(
      sql,
      'service',
      async tx => await tx`select regression_detected from compare_with_baseline(${slow}, 10, 150)`
    )
    t.same(lenient, { regression_detected: false }, 'within the threshold is no regression')
  })

  t.test('a failure where the baseline passed is a regression; a much faster run an improvement', async t => {
    const failed = await run(55, { success: false, test_result: 'failed', execution_duration_ms: 250 })
    const [failing] = await as(
      sql,
      'service',
      async tx =>
        await tx`select baseline_deviation_percentage, regression_detected, improvement_detected from compare_with_baseline(${failed})`
    )
    t.same(
      failing,
      { baseline_deviation_percentage: -16.67, regression_detected: true, improvement_detected: false },
      'faster than the median of five, but failing'
    )
    const fast = await run(50, { success: true, test_result: 'passed', execution_duration_ms: 100 })
    const [faster] = await as(
      sql,
      'service',
      async tx =>
        await tx`select baseline_execution_duration_ms, baseline_deviation_percentage, regression_detected, improvement_detected from compare_with_baseline(${fast})`
    )
    t.same(faster, {
      baseline_execution_duration_ms: 300,
      baseline_deviation_percentage: -66.67,
      regression_detected: false,
      improvement_detected: true
    })
  })

  t.test('a pinned baseline wins; no baseline means no verdict', async t => {
    const pinnedBase = await run(200, { success: false, test_result: 'failed', execution_duration_ms: 1000 })
    const pinned = await run(40, {
      success: true,
      test_result: 'passed',
      execution_duration_ms: 900,
      baseline_test_id: pinnedBase
    })
    const [row] = await as(
      sql,
      'service',
      async tx =>
        await tx`select baseline_source, baseline_test_id, baseline_run_count, baseline_deviation_percentage, regression_detected, improvement_detected from compare_with_baseline(${pinned})`
    )
    t.same(
      row,
      {
        baseline_source: 'pinned',
        baseline_test_id: pinnedBase,
        baseline_run_count: 1,
        baseline_deviation_percentage: -10,
        regression_detected: false,
        improvement_detected: true
      },
      'passing where the pinned baseline failed'
    )
    const first = await run(30, { test_name: 'brand_new', success: true, execution_duration_ms: 10 })
    const [none] = await as(
      sql,
      'service',
      async tx =>
        await tx`select baseline_source, baseline_run_count, baseline_deviation_percentage, regression_detected, improvement_detected from compare_with_baseline(${first})`
    )
    t.same(none, {
      baseline_source: 'none',
      baseline_run_count: 0,
      baseline_deviation_percentage: null,
      regression_detected: false,
      improvement_detected: false
    })
    const hidden = await failure(as(sql, 'other', async tx => await tx`select * from compare_with_baseline(${first})`))
    t.equal(hidden?.code, 'C3404')
  })
})
