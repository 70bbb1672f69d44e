// Every run leaves a decision_audit_log row with what it measured and decided, in the same
// transaction as its events; the monitor job runs the same function on its schedule.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { JOB_TRIGGER, runMonitor } from '../../../src/services/monitor/run.js'
import { insertCalls } from './fixtures.js'

t.test('the audit row holds the measurements and the decisions', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await insertCalls(sql, [
    { function_name: 'fn-a', duration_ms: 100, ago: 10 },
    { function_name: 'fn-a', duration_ms: 300, ago: 20, status: 'error', error_message: 'nope' }
  ])
  const run = await runMonitor(ctx.app.db, JOB_TRIGGER, { component_name: 'fn-a', window_minutes: 10 })
  const rows = await sql`select * from decision_audit_log`
  t.equal(rows.length, 1)
  const [audit] = rows
  t.match(audit, {
    decision_type: 'health_monitoring',
    component: 'monitor',
    actor: 'job:monitor',
    outcome: 'critical',
    reasoning: 'worst status critical (1 of 1 components with data): overall critical'
  })
  t.ok(audit!.duration_ms >= 0)
  t.match(audit!.input, {
    run_id: run.run_id,
    component_name: 'fn-a',
    window: { minutes: 10, start: run.window.start, end: run.window.end },
    measured: [
      {
        component_type: 'edge_function',
        component_name: 'fn-a',
        calls: 2,
        latency_ms: 200,
        latency_p95_ms: 290,
        error_rate: 50,
        availability_percentage: 50,
        throughput_per_minute: 0.2
      }
    ]
  })
  t.same(audit!.decision, {
    overall_status: 'critical',
    status_counts: { healthy: 0, degraded: 0, unhealthy: 0, critical: 1, unknown: 0 },
    components: [
      {
        component_type: 'edge_function',
        component_name: 'fn-a',
        status: 'critical',
        reasons: ['error_rate 50 >= 20 (critical)', 'availability_percentage 50 <= 80 (critical)']
      }
    ],
    unhealthy_components: [{ component_type: 'edge_function', component_name: 'fn-a', status: 'critical' }],
    events_created: 1
  })
  const [event] = await sql`select metadata->'monitor'->>'run_id' as run_id from system_health_events`
  t.equal(event!.run_id, run.run_id, 'events and audit row share the run id')
})

t.test('the monitor job runs the monitor', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await insertCalls(sql, [{ function_name: 'fn-job', duration_ms: 42, ago: 5 }])
  t.equal(await ctx.app.scheduler.tick('monitor'), 'succeeded')
  t.match(
    await sql`select component_name, status, latency_p95_ms from system_health_events where component_type = 'edge_function'`,
    [{ component_name: 'fn-job', status: 'healthy', latency_p95_ms: 42 }]
  )
  t.match(await sql`select actor, decision_type from decision_audit_log`, [
    { actor: 'job:monitor', decision_type: 'health_monitoring' }
  ])
  t.match(await sql`select job_name, last_outcome from job_runs`, [{ job_name: 'monitor', last_outcome: 'succeeded' }])
})
