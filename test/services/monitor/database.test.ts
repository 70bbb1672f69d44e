// The database component: real figures from pg_stat_activity and pg_stat_database, counters
// turned into per-window deltas against the previous run, a deadlock and a slow query seen
// and classified, and pg_stat_statements reported absent when it is not loaded.
import t from 'tap'
import { createSql } from '../../../src/db/client.js'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { JOB_TRIGGER, runMonitor } from '../../../src/services/monitor/run.js'

const CALM = {
  db_connection_usage_percent: { degraded: 1e12, unhealthy: 1e12, critical: 1e12 },
  db_cache_min_block_accesses: 1e12
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt++) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.test('the database event carries plausible live figures', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const run = await runMonitor(ctx.app.db, JOB_TRIGGER, {})
  const [database] = run.components.filter(component => component.component_type === 'database')
  t.equal(database?.source, 'pg_stat')
  const [event] = await sql`select * from system_health_events where component_type = 'database'`
  const [{ name, max }] =
    (await sql`select current_database() as name, current_setting('max_connections')::int as max`) as [
      { name: string; max: number }
    ]
  t.equal(event!.component_name, name, 'named after the database it measured')
  t.ok(
    event!.db_connection_count >= 1 && event!.db_connection_count <= max,
    `connections ${event!.db_connection_count}: at least the monitor's own`
  )
  t.ok(
    event!.db_cache_hit_rate === null || (event!.db_cache_hit_rate >= 0 && event!.db_cache_hit_rate <= 100),
    'cache hit rate is a percentage'
  )
  t.ok(Number.isInteger(event!.db_deadlock_count) && event!.db_deadlock_count >= 0)
  t.equal(event!.db_slow_query_count, 0)
  t.equal(event!.db_query_count, null, 'no statement counts without pg_stat_statements')
  const monitor = event!.metadata.monitor
  t.equal(monitor.max_connections, max)
  t.ok(monitor.counters.blks_hit + monitor.counters.blks_read > 0, 'the database has been read')
  t.ok(monitor.counters.xact_commit > 0)
  t.equal(monitor.pg_stat_statements.available, false)
  t.ok(['start', 'stats_reset'].includes(monitor.counters_since), 'the first sample counts since the statistics began')
  t.ok(['healthy', 'degraded', 'unhealthy', 'critical'].includes(event!.status), 'classified from data, not unknown')
})

t.test('a deadlock between two sessions shows up in the next run, once, and degrades the database', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await sql`create table locks (id int primary key, v int)`
  await sql`insert into locks values (1, 0), (2, 0)`
  const first = await runMonitor(ctx.app.db, JOB_TRIGGER, { thresholds: CALM })
  const [{ before }] =
    (await sql`select deadlocks::int as before from pg_stat_database where datname = current_database()`) as [
      { before: number }
    ]

  const a = createSql(ctx.databaseUrl, { max: 1 })
  const b = createSql(ctx.databaseUrl, { max: 1 })
  t.teardown(async () => {
    await a.end()
    await b.end()
  })
  let aLocked = (): void => {}
  let bLocked = (): void => {}
  const aHolds = new Promise<void>(resolve => {
    aLocked = resolve
  })
  const bHolds = new Promise<void>(resolve => {
    bLocked = resolve
  })
  const outcomes = await Promise.allSettled([
    a.begin(async tx => {
      await tx`update locks set v = 1 where id = 1`
      aLocked()
      await bHolds
      await tx`update locks set v = 1 where id = 2`
    }),
    b.begin(async tx => {
      await aHolds
      await tx`update locks set v = 2 where id = 2`
      bLocked()
      await tx`update locks set v = 2 where id = 1`
    })
  ])
  t.equal(outcomes.filter(outcome => outcome.status === 'rejected').length, 1, 'PostgreSQL broke the deadlock')
  await Promise.all([a`select pg_stat_force_next_flush()`, b`select pg_stat_force_next_flush()`])
  await until('the deadlock in pg_stat_database', async () => {
    const [{ now }] =
      (await sql`select deadlocks::int as now from pg_stat_database where datname = current_database()`) as [
        { now: number }
      ]
    return now > before
  })

  const second = await runMonitor(ctx.app.db, JOB_TRIGGER, { thresholds: CALM })
  const database = second.components.find(component => component.component_type === 'database')!
  t.equal(database.status, 'degraded')
  t.same(database.reasons, ['db_deadlock_count 1 >= 1 (degraded)'])
  const [event] =
    await sql`select db_deadlock_count, measurement_window_start, metadata from system_health_events where id = ${database.event_id}`
  t.equal(event!.db_deadlock_count, 1)
  t.equal(event!.metadata.monitor.counters_since, 'previous_run')
  const [previous] =
    await sql`select metadata->'monitor'->>'sampled_at' as sampled_at from system_health_events where id = ${first.components.find(c => c.component_type === 'database')!.event_id}`
  t.equal(
    event!.measurement_window_start.toISOString(),
    new Date(previous!.sampled_at).toISOString(),
    'the window starts at the previous sample'
  )

  const third = await runMonitor(ctx.app.db, JOB_TRIGGER, { thresholds: CALM })
  const [again] =
    await sql`select db_deadlock_count from system_health_events where id = ${third.components.find(c => c.component_type === 'database')!.event_id}`
  t.equal(again!.db_deadlock_count, 0, 'counted in its window only')
})

t.test('a query running longer than slow_query_ms counts as slow', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const sleeper = createSql(ctx.databaseUrl, { max: 1, applicationName: 'core314-test-sleeper' })
  t.teardown(async () => {
    await sleeper.end()
  })
  const sleeping = sleeper`select pg_sleep(4)`.execute()
  await until(
    'the sleeper to run for a second',
    async () =>
      (
        await sql`
    select 1 from pg_stat_activity where application_name = 'core314-test-sleeper' and state = 'active' and now() - query_start > interval '1 second'`
      ).length === 1
  )

  const run = await runMonitor(ctx.app.db, JOB_TRIGGER, { thresholds: { ...CALM, slow_query_ms: 500 } })
  const database = run.components.find(component => component.component_type === 'database')!
  t.match(database.reasons, ['db_slow_query_count 1 >= 1 (degraded)'])
  const [event] =
    await sql`select db_slow_query_count, metadata from system_health_events where id = ${database.event_id}`
  t.equal(event!.db_slow_query_count, 1)
  t.ok(event!.metadata.monitor.longest_query_seconds >= 1)
  await sleeping
})
