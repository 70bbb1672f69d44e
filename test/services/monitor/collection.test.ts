// Collection from execution_log: with known calls the percentiles, rates, throughput, error
// types, integrations and statuses come out exactly; calls outside the window do not count;
// stored error messages are redacted; an empty window is unknown, not a crash.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { JOB_TRIGGER, runMonitor } from '../../../src/services/monitor/run.js'
import { insertCalls, QUIET_DATABASE, type Call } from './fixtures.js'

const LEAKY =
  'upstream timed out calling 10.0.0.12 for jane.doe@example.com with Authorization: Bearer abcdefghijklmnop1234'

// fn-a: ten calls of 10..100 ms, two errors and a timeout (the most recent failure);
// fn-b: four quick successes; stripe: calls of both functions, one of them the timeout.
const calls: Call[] = [
  ...Array.from({ length: 10 }, (_, index): Call => ({
    function_name: 'fn-a',
    duration_ms: (index + 1) * 10,
    ago: 60 - index
  })),
  { function_name: 'fn-b', duration_ms: 100, ago: 100 },
  { function_name: 'fn-b', duration_ms: 200, ago: 100 },
  { function_name: 'fn-b', duration_ms: 300, ago: 100 },
  { function_name: 'fn-b', duration_ms: 400, ago: 100, integration_name: 'stripe', retry_count: 2 },
  // Outside the 5-minute window: must not count.
  { function_name: 'fn-a', status: 'error', duration_ms: 9000, ago: 400, error_message: 'old failure' },
  { function_name: 'fn-old', duration_ms: 5, ago: 600 }
]
Object.assign(calls[0] as Call, { integration_name: 'stripe', retry_count: 1 })
Object.assign(calls[1] as Call, { integration_name: 'stripe', retry_count: 1 })
Object.assign(calls[2] as Call, {
  status: 'error',
  error_type: 'ValidationError',
  error_message: 'bad input from 192.168.1.7'
})
Object.assign(calls[6] as Call, { status: 'error', error_message: 'boom' })
Object.assign(calls[8] as Call, { status: 'timeout', integration_name: 'stripe', error_message: LEAKY })

t.test('functions and integrations are measured exactly, in SQL, over the window only', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await insertCalls(sql, calls)

  const run = await runMonitor(ctx.app.db, JOB_TRIGGER, { thresholds: QUIET_DATABASE })
  const byName = new Map(
    run.components.map(component => [`${component.component_type}/${component.component_name}`, component])
  )
  t.same(
    [...byName.keys()].sort(),
    [
      'database/' + (await sql`select current_database() as name`)[0]!.name,
      'edge_function/fn-a',
      'edge_function/fn-b',
      'integration/stripe'
    ].sort()
  )
  t.equal(run.window.minutes, 5)

  const events = new Map(
    (await sql`select * from system_health_events`).map(row => [`${row.component_type}/${row.component_name}`, row])
  )
  t.equal(events.size, 4, 'one event per component')
  t.equal(run.events_created, 4)

  t.match(events.get('edge_function/fn-a'), {
    status: 'critical',
    latency_ms: 55,
    latency_p50_ms: 55,
    latency_p95_ms: 95.5,
    latency_p99_ms: 99.1,
    throughput_per_minute: 2,
    error_count: 3,
    error_rate: 30,
    availability_percentage: 70,
    error_types: { ValidationError: 1, error: 1, timeout: 1 },
    measurement_window_seconds: 300,
    integration_name: null,
    tags: ['monitor']
  })
  t.same(byName.get('edge_function/fn-a')?.reasons, [
    'error_rate 30 >= 20 (critical)',
    'availability_percentage 70 <= 80 (critical)'
  ])
  t.equal(byName.get('edge_function/fn-a')?.calls, 10)

  t.match(events.get('edge_function/fn-b'), {
    status: 'healthy',
    latency_ms: 250,
    latency_p50_ms: 250,
    latency_p95_ms: 385,
    latency_p99_ms: 397,
    throughput_per_minute: 0.8,
    error_count: 0,
    error_rate: 0,
    availability_percentage: 100,
    error_types: {},
    last_error_message: null,
    last_error_timestamp: null
  })
  t.same(byName.get('edge_function/fn-b')?.reasons, [])

  // stripe: 10, 20 and 90 ms from fn-a (the 90 ms one timed out) and 400 ms from fn-b.
  t.match(events.get('integration/stripe'), {
    status: 'critical',
    integration_name: 'stripe',
    latency_ms: 130,
    latency_p50_ms: 55,
    latency_p95_ms: 353.5,
    latency_p99_ms: 390.7,
    throughput_per_minute: 0.8,
    error_count: 1,
    error_rate: 25,
    integration_success_rate: 75,
    integration_retry_count: 4,
    integration_timeout_count: 1,
    error_types: { timeout: 1 }
  })

  const fnA = events.get('edge_function/fn-a')!
  t.equal(new Date(fnA.measurement_window_end).getTime() - new Date(fnA.measurement_window_start).getTime(), 300_000)
  const [lastFailure] =
    await sql`select created_at from execution_log where function_name = 'fn-a' and status = 'timeout'`
  t.same(fnA.last_error_timestamp, lastFailure!.created_at, 'the most recent failure in the window')

  // Two of four components with data are critical: at least a quarter, so the system is critical.
  t.equal(run.overall_status, 'critical')
  t.same(run.status_counts, { healthy: 2, degraded: 0, unhealthy: 0, critical: 2, unknown: 0 })
  t.same(
    run.unhealthy_components.map(component => component.component_name),
    ['fn-a', 'stripe']
  )
})

t.test('stored error messages are redacted: no e-mail address, IP address or token survives', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await insertCalls(sql, calls)
  await runMonitor(ctx.app.db, JOB_TRIGGER, {})
  const rows = await sql<Array<{ component_name: string; last_error_message: string }>>`
    select component_name, last_error_message from system_health_events where last_error_message is not null order by component_name`
  t.same(
    rows.map(row => row.component_name),
    ['fn-a', 'stripe']
  )
  for (const { last_error_message: message } of rows) {
    t.notMatch(
      message,
      /jane\.doe|example\.com|10\.0\.0\.12|abcdefghijklmnop1234/,
      'personal data and the token are gone'
    )
    t.match(message, /\[ip\].*\[email\].*\[token\]/, 'placeholders say what was there')
    t.match(message, /^upstream timed out calling /, 'the rest of the message reads as before')
  }
})

t.test('the weighting of the overall status follows overall_worst_share', async t => {
  const ctx = await buildTestApp(t)
  await insertCalls(ownerSql(t, ctx.databaseUrl), calls)
  const run = await runMonitor(ctx.app.db, JOB_TRIGGER, { thresholds: { ...QUIET_DATABASE, overall_worst_share: 0.6 } })
  t.equal(run.status_counts.critical, 2)
  t.equal(run.overall_status, 'unhealthy', 'two critical of four is under 60%: one level milder')
})

t.test('component_name narrows the run to that function or integration', async t => {
  const ctx = await buildTestApp(t)
  await insertCalls(ownerSql(t, ctx.databaseUrl), calls)
  const fn = await runMonitor(ctx.app.db, JOB_TRIGGER, { component_name: 'fn-b' })
  t.same(
    fn.components.map(c => [c.component_type, c.component_name, c.status]),
    [['edge_function', 'fn-b', 'healthy']]
  )
  t.equal(fn.overall_status, 'healthy')

  const integration = await runMonitor(ctx.app.db, JOB_TRIGGER, { component_name: 'stripe' })
  t.same(
    integration.components.map(c => [c.component_type, c.component_name, c.calls]),
    [['integration', 'stripe', 4]],
    'the integration alone, not the functions that called it'
  )
})

t.test('a longer window takes in older calls and divides throughput by its length', async t => {
  const ctx = await buildTestApp(t)
  await insertCalls(ownerSql(t, ctx.databaseUrl), calls)
  const run = await runMonitor(ctx.app.db, JOB_TRIGGER, { window_minutes: 15, component_name: 'fn-a' })
  const [fnA] = run.components
  t.equal(fnA?.calls, 11)
  t.equal(fnA?.throughput_per_minute, Math.round((11 / 15) * 1000) / 1000)
  t.equal(fnA?.latency_p95_ms, 4550, 'the 9 s call from 400 s ago now counts: halfway from 100 to 9000')
})

t.test('an empty window is unknown, not a crash', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await insertCalls(sql, [{ function_name: 'fn-quiet', duration_ms: 10, ago: 900 }])

  const named = await runMonitor(ctx.app.db, JOB_TRIGGER, { component_name: 'fn-quiet' })
  t.equal(named.overall_status, 'unknown')
  t.match(named.components, [
    { component_name: 'fn-quiet', status: 'unknown', calls: 0, reasons: [], latency_p95_ms: null }
  ])
  t.same(named.unhealthy_components, [])
  t.match(
    await sql`select status, throughput_per_minute, error_count from system_health_events where component_name = 'fn-quiet'`,
    [{ status: 'unknown', throughput_per_minute: 0, error_count: 0 }],
    'stored, so the trail shows the silence'
  )

  const all = await runMonitor(ctx.app.db, JOB_TRIGGER, { thresholds: QUIET_DATABASE })
  t.same(
    all.components.map(c => c.component_type),
    ['database'],
    'no functions measured; the database still is'
  )
  t.equal(all.overall_status, 'healthy')
})

t.test("two organizations' functions of one name are two components, each measured on its own calls", async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const [first, second] = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2']
  await insertCalls(sql, [
    ...Array.from({ length: 4 }, (_, index): Call => ({
      organization_id: first,
      function_name: 'orchestrate-flow',
      duration_ms: 10,
      ago: 30 + index
    })),
    ...Array.from({ length: 4 }, (_, index): Call => ({
      organization_id: second,
      function_name: 'orchestrate-flow',
      status: 'error',
      error_message: `second's failure ${index}`,
      duration_ms: 900,
      ago: 30 + index
    }))
  ])

  await runMonitor(ctx.app.db, JOB_TRIGGER, { thresholds: QUIET_DATABASE })
  const events =
    await sql`select organization_id, status, error_rate, latency_ms, last_error_message from system_health_events
    where component_name = 'orchestrate-flow' order by organization_id`
  t.match(
    events,
    [
      { organization_id: first, status: 'healthy', error_rate: 0, latency_ms: 10, last_error_message: null },
      {
        organization_id: second,
        status: 'critical',
        error_rate: 100,
        latency_ms: 900,
        last_error_message: /^second's failure/
      }
    ],
    "one event per organization: the first organization's function is not judged by the second's failures, nor does it read their text"
  )
  t.equal(events.length, 2)
})

t.test(
  'a function name a health event cannot hold (over 200 characters, or reversing text) is left out, not the end of the run',
  async t => {
    const ctx = await buildTestApp(t)
    const sql = ownerSql(t, ctx.databaseUrl)
    await insertCalls(sql, [
      { function_name: 'fn-ok', duration_ms: 10, ago: 10 },
      { function_name: 'x'.repeat(201), duration_ms: 10, ago: 10 },
      { function_name: '\u202Eipa-tuokcehc', duration_ms: 10, ago: 10 }
    ])
    const run = await runMonitor(ctx.app.db, JOB_TRIGGER, { thresholds: QUIET_DATABASE })
    t.same(
      run.components.filter(component => component.component_type === 'edge_function').map(c => c.component_name),
      ['fn-ok']
    )
    t.same(
      (await sql`select component_name from system_health_events where component_type = 'edge_function'`).map(
        row => row.component_name
      ),
      ['fn-ok']
    )
    const [audit] = await sql`select input from decision_audit_log where decision_type = 'health_monitoring'`
    t.equal((audit?.input as { names_left_out: number }).names_left_out, 2)
  }
)
