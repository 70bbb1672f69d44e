// Migration 0148 (traffic joins the detector's metrics) on a database whose history is already
// rolled up: the hours rolled up before it get the throughput of the events they summarise, the
// same counts and quantiles a rollup after it computes, and the scorer may keep a traffic state.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.js'
import { rollUpHours } from '../../src/db/health-event-rollups.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

const THROUGHPUT_DETECTION = 148
const HOUR = 3_600_000

t.test('hours rolled up before 0148 get their throughput, as a rollup after it computes', async t => {
  const { url } = await freshDatabase(t, { empty: true })
  const sql = ownerSql(t, url)
  await migrate(sql, MIGRATIONS_DIR, { before: THROUGHPUT_DETECTION })

  const org = randomUUID()
  const from = new Date(Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR)
  const until = new Date(from.getTime() + 3 * HOUR)
  // Three hours a minute apart; every third event leaves throughput out, one component has none.
  await sql`insert into system_health_events (organization_id, component_type, component_name, status, created_at,
      latency_ms, throughput_per_minute)
    select ${org}, 'edge_function', 'checkout', 'healthy', ${from}::timestamptz + make_interval(mins => i),
      100 + i % 7, case when i % 3 = 0 then null else 1000 + (i * 37) % 101 end
    from generate_series(0, 179) i`
  await sql`insert into system_health_events (organization_id, component_type, component_name, status, created_at, latency_ms)
    select ${org}, 'edge_function', 'search', 'healthy', ${from}::timestamptz + make_interval(mins => i), 50
    from generate_series(0, 179) i`
  // The rollup as 0042 wrote it: every column but the new ones.
  await sql`
    insert into health_event_rollups (organization_id, component_name, bucket_start, component_type, user_id, event_count,
      first_event_at, last_event_at, latency_ms_count, error_rate_count, cpu_usage_percent_count,
      memory_usage_percent_count, disk_usage_percent_count)
    select organization_id, component_name, date_bin('1 hour', event_time, timestamptz 'epoch'), 'edge_function', null,
      count(*), min(event_time), max(event_time), count(latency_ms), 0, 0, 0, 0
    from system_health_events group by 1, 2, 3`

  const applied = await migrate(sql)
  t.same(applied[0], '0148_throughput_detection.sql', 'the migration ran on the rolled-up history')
  const migrated = await sql<Array<{ component_name: string; count: number; quantiles: Buffer | null }>>`
    select component_name, throughput_per_minute_count as count, throughput_per_minute_quantiles as quantiles
    from health_event_rollups order by component_name, bucket_start`
  t.same(
    migrated.map(row => `${row.component_name} ${row.count}`),
    ['checkout 40', 'checkout 40', 'checkout 40', 'search 0', 'search 0', 'search 0'],
    'each hour counts the events that reported throughput'
  )
  t.ok(
    migrated.every(row => row.count > 0 === (row.quantiles?.length === 168)),
    'quantiles where there were events, none where there were not'
  )

  await rollUpHours(sql as never, from, until)
  const recomputed = await sql<Array<{ component_name: string; count: number; quantiles: Buffer | null }>>`
    select component_name, throughput_per_minute_count as count, throughput_per_minute_quantiles as quantiles
    from health_event_rollups order by component_name, bucket_start`
  t.same(recomputed, migrated, 'the same counts and quantiles, byte for byte, as the rollup computes now')

  await sql`insert into detector_states (organization_id, component_name, metric, last_event_at, last_event_id, points_fed, state)
    values (${org}, 'checkout', 'throughput_per_minute', now(), ${randomUUID()}, 1, '{}')`
  const unknown = await sql`
    insert into detector_states (organization_id, component_name, metric, last_event_at, last_event_id, points_fed, state)
    values (${org}, 'checkout', 'availability_percentage', now(), ${randomUUID()}, 1, '{}')`.catch(
    (error: { code?: string }) => error
  )
  t.match(unknown, { code: '23514' }, 'a metric the detector does not judge still has no state')
})
