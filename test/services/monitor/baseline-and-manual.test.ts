// The component's own baseline (2x its usual p95 is degraded under the absolute limit) and
// metrics submitted with the run, which are classified by the same rules and stored.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import type { Sql } from '../../../src/db/client.js'
import { JOB_TRIGGER, runMonitor } from '../../../src/services/monitor/run.js'
import { insertCalls, QUIET_DATABASE } from './fixtures.js'

async function history(sql: Sql, name: string, p95s: number[], minutesAgo = 10): Promise<void> {
  for (const p95 of p95s) {
    await sql`
      insert into system_health_events (component_type, component_name, status, latency_p95_ms, created_at)
      values ('edge_function', ${name}, 'healthy', ${p95}, now() - make_interval(mins => ${minutesAgo}))`
  }
}

t.test('twice the usual p95 is degraded even far under the absolute limit', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  // Usual p95 of fn-steady: the median of 180, 190, 200, 210, 900 is 200 (the outlier does not move it).
  await history(sql, 'fn-steady', [180, 190, 200, 210, 900])
  await history(sql, 'fn-new', [200, 200, 200, 200])
  await history(sql, 'fn-stale', [200, 200, 200, 200, 200], 3 * 24 * 60)
  const slow = ['fn-steady', 'fn-new', 'fn-stale'].flatMap(name =>
    [1, 2].map(ago => ({ function_name: name, duration_ms: 450, ago }))
  )
  await insertCalls(sql, slow)

  const run = await runMonitor(ctx.app.db, JOB_TRIGGER, { thresholds: QUIET_DATABASE })
  const byName = new Map(run.components.map(component => [component.component_name, component]))
  t.match(byName.get('fn-steady'), { status: 'degraded', latency_p95_ms: 450, baseline_latency_p95_ms: 200 })
  t.same(byName.get('fn-steady')?.reasons, ['latency_p95_ms 450 >= 2 x usual 200 over 5 events (degraded)'])
  t.match(
    byName.get('fn-new'),
    { status: 'healthy', baseline_latency_p95_ms: null },
    'four events are too few for a baseline'
  )
  t.match(
    byName.get('fn-stale'),
    { status: 'healthy', baseline_latency_p95_ms: null },
    'events older than the lookback do not count'
  )
  const [stored] =
    await sql`select status, metadata from system_health_events where id = ${byName.get('fn-steady')!.event_id}`
  t.equal(stored!.status, 'degraded')
  t.equal(stored!.metadata.monitor.baseline_latency_p95_ms, 200)

  const lenient = await runMonitor(ctx.app.db, JOB_TRIGGER, {
    component_name: 'fn-steady',
    thresholds: { baseline: { factor: 3 } }
  })
  t.equal(lenient.components[0]?.status, 'healthy', 'the factor is configurable per call')
  const floored = await runMonitor(ctx.app.db, JOB_TRIGGER, {
    component_name: 'fn-steady',
    thresholds: { baseline: { floor_ms: 500 } }
  })
  t.equal(floored.components[0]?.status, 'healthy', 'under the floor the baseline rule stays quiet')
})

t.test('submitted metrics are classified like collected ones and stored', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const run = await runMonitor(ctx.app.db, JOB_TRIGGER, {
    component_name: 'nothing-collected',
    metrics: [
      {
        component_type: 'worker',
        component_name: 'report-builder',
        cpu_usage_percent: 83,
        memory_usage_percent: 40,
        tags: ['batch']
      },
      {
        component_type: 'edge_function',
        component_name: 'pushed-fn',
        error_rate: 30,
        availability_percentage: 70,
        latency_p95_ms: 95.5,
        last_error_message: 'failed for bob@example.org'
      },
      { component_type: 'cache', component_name: 'redis', disk_usage_percent: 12 },
      { component_type: 'queue', component_name: 'no-measurements', throughput_per_minute: 12 }
    ]
  })
  const byName = new Map(run.components.map(component => [component.component_name, component]))
  t.match(byName.get('report-builder'), {
    status: 'unhealthy',
    source: 'manual',
    reasons: ['cpu_usage_percent 83 >= 80 (unhealthy)']
  })
  t.match(
    byName.get('pushed-fn'),
    { status: 'critical', reasons: ['error_rate 30 >= 20 (critical)', 'availability_percentage 70 <= 80 (critical)'] },
    'the same numbers as a collected function, the same status'
  )
  t.equal(byName.get('redis')?.status, 'healthy')
  t.equal(byName.get('no-measurements')?.status, 'unknown', 'nothing the rules judge: no data')
  t.equal(byName.get('nothing-collected')?.status, 'unknown')

  const rows =
    await sql`select component_name, status, tags, environment, last_error_message from system_health_events where component_type <> 'edge_function' or component_name = 'pushed-fn' order by component_name`
  t.match(rows, [
    { component_name: 'no-measurements', status: 'unknown' },
    { component_name: 'pushed-fn', status: 'critical', last_error_message: 'failed for [email]' },
    { component_name: 'redis', status: 'healthy' },
    { component_name: 'report-builder', status: 'unhealthy', tags: ['batch'], environment: 'production' }
  ])
  t.equal(run.events_created, 5)
  // Of three components with data (the unknown ones are left out), one critical: a third, at
  // least a quarter, so the system is critical.
  t.equal(run.overall_status, 'critical')
})
