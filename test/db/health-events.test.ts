// system_health_events: its constraints, its updated_at trigger, its monthly partitions and
// their maintenance, and the four health helper functions on known rows, as the service role,
// as a user (who sees only their own events) and with the organization filter.
import t from 'tap'
import type { Sql } from '../../src/db/client.js'
import { ORG, OTHER_ORG, USER, as, database, failure, minutesAgo } from './fixtures.js'

interface EventRow {
  component_type: string
  component_name: string
  status: string
  created_at: Date
  user_id?: string | null
  organization_id?: string | null
  latency_ms?: number
  latency_p95_ms?: number
  latency_p99_ms?: number
  error_rate?: number
  error_count?: number
  availability_percentage?: number
  throughput_per_minute?: number
  cpu_usage_percent?: number
  memory_usage_percent?: number
  last_error_message?: string
}

const COLUMNS = [
  'component_type',
  'component_name',
  'status',
  'created_at',
  'user_id',
  'organization_id',
  'latency_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'error_rate',
  'error_count',
  'availability_percentage',
  'throughput_per_minute',
  'cpu_usage_percent',
  'memory_usage_percent',
  'last_error_message'
] as const

async function insertEvents(sql: Sql, rows: EventRow[]): Promise<void> {
  const complete = rows.map(row => Object.fromEntries(COLUMNS.map(column => [column, row[column] ?? null])))
  await sql`insert into system_health_events ${sql(complete, ...COLUMNS)}`
}

// The hour bucket six hours back, so trend buckets are exact whatever the time now.
const TREND_HOUR = new Date(Math.floor((Date.now() - 6 * 3_600_000) / 3_600_000) * 3_600_000)
const trendAt = (minutes: number): Date => new Date(TREND_HOUR.getTime() + minutes * 60_000)

const fixture: EventRow[] = [
  {
    component_type: 'api',
    component_name: 'checkout',
    status: 'critical',
    created_at: minutesAgo(180),
    organization_id: ORG,
    availability_percentage: 0
  },
  {
    component_type: 'api',
    component_name: 'checkout',
    status: 'healthy',
    created_at: minutesAgo(50),
    organization_id: ORG,
    latency_ms: 100,
    latency_p95_ms: 150,
    latency_p99_ms: 200,
    error_rate: 1,
    error_count: 2,
    availability_percentage: 100,
    throughput_per_minute: 600,
    cpu_usage_percent: 40,
    memory_usage_percent: 50
  },
  {
    component_type: 'api',
    component_name: 'checkout',
    status: 'degraded',
    created_at: minutesAgo(20),
    organization_id: ORG,
    latency_ms: 300,
    latency_p95_ms: 400,
    latency_p99_ms: 500,
    error_rate: 3,
    error_count: 6,
    availability_percentage: 99,
    throughput_per_minute: 500,
    cpu_usage_percent: 60,
    memory_usage_percent: 70
  },
  {
    component_type: 'integration',
    component_name: 'payments',
    status: 'unhealthy',
    created_at: minutesAgo(40),
    organization_id: OTHER_ORG,
    user_id: USER,
    latency_ms: 2500,
    latency_p95_ms: 3000,
    latency_p99_ms: 3500,
    error_rate: 10,
    error_count: 50,
    availability_percentage: 90,
    throughput_per_minute: 100,
    cpu_usage_percent: 70,
    memory_usage_percent: 80
  },
  {
    component_type: 'integration',
    component_name: 'payments',
    status: 'critical',
    created_at: minutesAgo(10),
    organization_id: OTHER_ORG,
    user_id: USER,
    latency_ms: 4000,
    latency_p95_ms: 4500,
    latency_p99_ms: 5000,
    error_rate: 20,
    error_count: 80,
    availability_percentage: 80,
    throughput_per_minute: 50,
    cpu_usage_percent: 90,
    memory_usage_percent: 95,
    last_error_message: 'upstream timeout'
  },
  {
    component_type: 'api',
    component_name: 'search',
    status: 'unhealthy',
    created_at: minutesAgo(30),
    organization_id: ORG,
    latency_ms: 900,
    availability_percentage: 95
  },
  {
    component_type: 'api',
    component_name: 'search',
    status: 'healthy',
    created_at: minutesAgo(5),
    organization_id: ORG,
    latency_ms: 80,
    availability_percentage: 100
  },
  {
    component_type: 'worker',
    component_name: 'reports',
    status: 'healthy',
    created_at: trendAt(5),
    latency_ms: 100,
    latency_p95_ms: 120,
    latency_p99_ms: 130,
    error_count: 1
  },
  {
    component_type: 'worker',
    component_name: 'reports',
    status: 'healthy',
    created_at: trendAt(35),
    latency_ms: 300,
    latency_p95_ms: 320,
    latency_p99_ms: 330,
    error_count: 3
  },
  {
    component_type: 'worker',
    component_name: 'reports',
    status: 'healthy',
    created_at: trendAt(65),
    latency_ms: 500,
    latency_p95_ms: 520,
    latency_p99_ms: 530,
    error_count: 5
  }
]

t.test('constraints refuse values outside the contract', async t => {
  const sql = await database(t)
  const good = { component_type: 'api', component_name: 'checkout', status: 'healthy' }
  const bad: Array<[string, Record<string, unknown>]> = [
    ['an unknown status', { status: 'sick' }],
    ['an error rate over 100 %', { error_rate: 101 }],
    ['a negative CPU usage', { cpu_usage_percent: -1 }],
    ['an availability over 100 %', { availability_percentage: 100.5 }],
    ['a cache hit rate over 100 %', { db_cache_hit_rate: 120 }],
    ['a negative latency', { latency_ms: -5 }],
    ['a p50 above the p95', { latency_p50_ms: 300, latency_p95_ms: 200 }],
    [
      'a window that ends before it starts',
      { measurement_window_start: minutesAgo(1), measurement_window_end: minutesAgo(6) }
    ],
    ['an empty component name', { component_name: '' }],
    ['a negative error count', { error_count: -1 }]
  ]
  for (const [name, change] of bad) {
    const error = await failure(
      as(sql, 'service', async tx => await tx`insert into system_health_events ${tx({ ...good, ...change })}`)
    )
    t.equal(error?.code, '23514', `${name} is a check violation`)
  }
  const error = await failure(
    as(
      sql,
      'service',
      async tx =>
        await tx`insert into system_health_events (component_type, component_name, status, metadata) values ('api', 'checkout', 'healthy', '[]')`
    )
  )
  t.equal(error?.code, '23514', 'metadata must be an object')
  await as(
    sql,
    'service',
    async tx =>
      await tx`insert into system_health_events ${tx({ ...good, error_rate: 100, cpu_usage_percent: 0, latency_p50_ms: 1, latency_p95_ms: 1, latency_p99_ms: 1 })}`
  )
  t.pass('the range bounds themselves are accepted')
})

t.test("updated_at is the database's: set on every update, whatever the statement says", async t => {
  const sql = await database(t)
  const created = minutesAgo(10)
  const [row] = await sql<
    Array<{ id: string }>
  >`insert into system_health_events (component_type, component_name, status, created_at, updated_at) values ('api', 'checkout', 'healthy', ${created}, ${created}) returning id`
  const [updated] = await as(
    sql,
    'service',
    async tx =>
      await tx<Array<{ created_at: Date; updated_at: Date; now: Date }>>`
    update system_health_events set status = 'degraded', updated_at = '2000-01-01' where id = ${row!.id}
    returning created_at, updated_at, now() as now`
  )
  t.equal(updated?.created_at.getTime(), created.getTime(), 'created_at is untouched')
  t.equal(updated?.updated_at.getTime(), updated?.now.getTime(), "updated_at is the update's time")
})

t.test('monthly partitions', async t => {
  const sql = await database(t)
  const partitionOf = async (id: string): Promise<string | undefined> =>
    (
      await sql<
        Array<{ partition: string }>
      >`select tableoid::regclass::text as partition from system_health_events where id = ${id}`
    )[0]?.partition

  const [recent] = await sql<
    Array<{ id: string }>
  >`insert into system_health_events (component_type, component_name, status) values ('api', 'checkout', 'healthy') returning id`
  const month = new Date().toISOString().slice(0, 7).replace('-', '_')
  t.equal(await partitionOf(recent!.id), `system_health_events_${month}`, "a new event lands in this month's partition")

  const future = new Date(Date.UTC(new Date().getUTCFullYear() + 2, 4, 15))
  const [early] = await sql<
    Array<{ id: string }>
  >`insert into system_health_events (component_type, component_name, status, created_at) values ('api', 'checkout', 'healthy', ${future}) returning id`
  t.equal(
    await partitionOf(early!.id),
    'system_health_events_default',
    'an event beyond the created months lands in the default partition'
  )

  const [created] = await sql<
    Array<{ count: number }>
  >`select core314.create_health_event_partitions(${future}, ${future}) as count`
  t.equal(created?.count, 1, 'one partition created')
  t.equal(
    await partitionOf(early!.id),
    `system_health_events_${future.getUTCFullYear()}_05`,
    "the default partition's row moved into it"
  )
  const [again] = await sql<
    Array<{ count: number }>
  >`select core314.create_health_event_partitions(${future}, ${future}) as count`
  t.equal(again?.count, 0, 'creating it again is a no-op')
  const [forced] = await sql<
    Array<{ rls: boolean }>
  >`select relrowsecurity as rls from pg_class where relname = ${`system_health_events_${future.getUTCFullYear()}_05`}`
  t.ok(forced?.rls, 'the new partition denies direct access')
  const [served] = await as(
    sql,
    'service',
    async tx => await tx<Array<{ id: string }>>`select id from system_health_events where id = ${early!.id}`
  )
  t.equal(served?.id, early!.id, 'the moved row is still served through the parent')

  const old = new Date(Date.UTC(new Date().getUTCFullYear() - 3, 1, 10))
  const older = new Date(Date.UTC(new Date().getUTCFullYear() - 5, 1, 10))
  await sql`select core314.create_health_event_partitions(${old}, ${old})`
  await sql`insert into system_health_events (component_type, component_name, status, created_at) values ('api', 'checkout', 'healthy', ${old}), ('api', 'checkout', 'healthy', ${older})`
  const cutoff = new Date(Date.UTC(new Date().getUTCFullYear() - 2, 0, 1))
  const [dropped] = await sql<Array<{ count: number }>>`select core314.drop_health_event_partitions(${cutoff}) as count`
  t.equal(dropped?.count, 1, 'the partition wholly before the cutoff is dropped')
  const [left] = await sql<Array<{ old: number; total: number }>>`
    select (count(*) filter (where created_at < ${cutoff}))::integer as old, count(*)::integer as total from system_health_events`
  t.same(
    left,
    { old: 0, total: 2 },
    'rows before the cutoff are gone, from the default partition too; newer rows remain'
  )
})

t.test('health helper functions', async t => {
  const sql = await database(t)
  await insertEvents(sql, fixture)

  t.test('get_system_health_summary: latest status and aggregates per component, worst first', async t => {
    const rows = await as(sql, 'service', async tx => await tx`select * from get_system_health_summary()`)
    t.same(
      rows.map(row => [row.component_name, row.status, row.event_count, row.unhealthy_event_count]),
      [
        ['payments', 'critical', 2, 2],
        ['checkout', 'degraded', 2, 0],
        ['search', 'healthy', 2, 1]
      ]
    )
    t.same(rows[1], {
      organization_id: ORG,
      component_type: 'api',
      component_name: 'checkout',
      status: 'degraded',
      last_event_at: rows[1]!.last_event_at,
      event_count: 2,
      unhealthy_event_count: 0,
      avg_latency_ms: 200,
      max_latency_p95_ms: 400,
      avg_error_rate: 2,
      total_error_count: 8,
      avg_availability_percentage: 99.5,
      avg_throughput_per_minute: 550,
      avg_cpu_usage_percent: 50,
      avg_memory_usage_percent: 60
    })
    const user = await as(sql, 'user', async tx => await tx`select component_name from get_system_health_summary()`)
    t.same(
      user.map(row => row.component_name),
      ['payments'],
      'a user summarises only their own events'
    )
    const org = await as(
      sql,
      'admin',
      async tx => await tx`select component_name from get_system_health_summary(p_organization_id => ${ORG})`
    )
    t.same(
      org.map(row => row.component_name),
      ['checkout', 'search'],
      'the organization filter'
    )
    const day = await as(
      sql,
      'service',
      async tx =>
        await tx`select component_name, status, event_count from get_system_health_summary(now() - interval '1 day', p_component_type => 'api')`
    )
    t.same(
      day,
      [
        { component_name: 'checkout', status: 'degraded', event_count: 3 },
        { component_name: 'search', status: 'healthy', event_count: 2 }
      ],
      'the window and the type filter'
    )
  })

  t.test('get_unhealthy_components: components whose latest event is not healthy', async t => {
    const rows = await as(
      sql,
      'service',
      async tx =>
        await tx`select component_name, status, unhealthy_event_count, latency_ms, error_rate, availability_percentage, last_error_message from get_unhealthy_components()`
    )
    t.same(rows, [
      {
        component_name: 'payments',
        status: 'critical',
        unhealthy_event_count: 2,
        latency_ms: 4000,
        error_rate: 20,
        availability_percentage: 80,
        last_error_message: 'upstream timeout'
      },
      {
        component_name: 'checkout',
        status: 'degraded',
        unhealthy_event_count: 1,
        latency_ms: 300,
        error_rate: 3,
        availability_percentage: 99,
        last_error_message: null
      }
    ])
    const org = await as(
      sql,
      'service',
      async tx => await tx`select component_name from get_unhealthy_components(p_organization_id => ${ORG})`
    )
    t.same(
      org.map(row => row.component_name),
      ['checkout']
    )
    const other = await as(sql, 'other', async tx => await tx`select * from get_unhealthy_components()`)
    t.same(other, [], 'another user sees none of it')
  })

  t.test('get_performance_trends: buckets per component', async t => {
    const rows = await as(
      sql,
      'service',
      async tx =>
        await tx`
      select bucket_start, event_count, avg_latency_ms, avg_latency_p95_ms, max_latency_p99_ms, total_error_count
      from get_performance_trends('reports', now() - interval '8 hours', now(), interval '1 hour')`
    )
    t.same(rows, [
      {
        bucket_start: TREND_HOUR,
        event_count: 2,
        avg_latency_ms: 200,
        avg_latency_p95_ms: 220,
        max_latency_p99_ms: 330,
        total_error_count: 4
      },
      {
        bucket_start: trendAt(60),
        event_count: 1,
        avg_latency_ms: 500,
        avg_latency_p95_ms: 520,
        max_latency_p99_ms: 530,
        total_error_count: 5
      }
    ])
    const half = await as(
      sql,
      'service',
      async tx =>
        await tx`
      select count(*)::integer as buckets from get_performance_trends('reports', now() - interval '8 hours', now(), interval '30 minutes')`
    )
    t.equal(half[0]?.buckets, 3, 'finer buckets split them')
    for (const bucket of ['0 seconds', '1 month', '1 second']) {
      const error = await failure(
        as(
          sql,
          'service',
          async tx =>
            await tx`select * from get_performance_trends(null, now() - interval '1 day', now(), ${bucket}::interval)`
        )
      )
      t.equal(error?.code, '22023', `a bucket of ${bucket} is refused`)
    }
  })

  t.test('calculate_system_availability: components weigh equally', async t => {
    const [all] = await as(sql, 'service', async tx => await tx`select * from calculate_system_availability()`)
    t.match(all, {
      availability_percentage: 87.2083,
      target_percentage: 99.95,
      meets_target: false,
      component_count: 4,
      event_count: 10,
      healthy_count: 5,
      degraded_count: 1,
      unhealthy_count: 2,
      critical_count: 2,
      unknown_count: 0
    })
    const [payments] = await as(
      sql,
      'service',
      async tx =>
        await tx`select availability_percentage, meets_target, component_count from calculate_system_availability(p_component_name => 'payments', p_target_percentage => 80)`
    )
    t.same(payments, { availability_percentage: 85, meets_target: true, component_count: 1 })
    const [nothing] = await as(
      sql,
      'other',
      async tx =>
        await tx`select availability_percentage, meets_target, component_count, event_count from calculate_system_availability()`
    )
    t.same(
      nothing,
      { availability_percentage: null, meets_target: null, component_count: 0, event_count: 0 },
      'nothing measured: one row of nulls and zeros'
    )
  })
})

t.test("the health functions keep each organization's component of a name apart", async t => {
  const sql = await database(t)
  // One name in two organizations and the platform: three components, each with its own status.
  const shared = (organization_id: string | null, status: string, minutes: number): EventRow => ({
    component_type: 'api',
    component_name: 'shared',
    status,
    organization_id,
    created_at: minutesAgo(minutes)
  })
  await insertEvents(sql, [
    shared(ORG, 'critical', 10),
    shared(ORG, 'critical', 5),
    shared(OTHER_ORG, 'healthy', 3),
    shared(null, 'unhealthy', 4)
  ])
  const summary = await as(
    sql,
    'service',
    async tx => await tx`select organization_id, status, event_count from get_system_health_summary()`
  )
  t.same(summary, [
    { organization_id: ORG, status: 'critical', event_count: 2 },
    { organization_id: null, status: 'unhealthy', event_count: 1 },
    { organization_id: OTHER_ORG, status: 'healthy', event_count: 1 }
  ])
  const unhealthy = await as(
    sql,
    'service',
    async tx => await tx`select organization_id, status from get_unhealthy_components(now() - interval '1 hour')`
  )
  t.same(unhealthy, [
    { organization_id: ORG, status: 'critical' },
    { organization_id: null, status: 'unhealthy' }
  ])
  const trends = await as(
    sql,
    'service',
    async tx =>
      await tx`select organization_id, event_count from get_performance_trends('shared', now() - interval '1 hour', now(), interval '1 day')`
  )
  t.same(
    new Map(trends.map(row => [row.organization_id, row.event_count])),
    new Map([
      [null, 1],
      [ORG, 2],
      [OTHER_ORG, 1]
    ]),
    'one series per organization'
  )
  t.equal(trends[0]?.organization_id, null, "the platform's first")
  const [availability] = await as(
    sql,
    'service',
    async tx => await tx`select component_count from calculate_system_availability(now() - interval '1 hour')`
  )
  t.equal(availability?.component_count, 3)
})
