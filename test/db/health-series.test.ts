// The detector's read: one row per organization and component with its events packed oldest
// first, the window split by the events' own timestamps (a fraction of a millisecond decides),
// metrics an event left out as NaN, the latest event naming owner and type, and nothing recorded
// before the lookback or after the evaluation time. The adaptive scorer's replay: the newest
// reported values before the window, and the planner setting its query turns off put back.
import t from 'tap'
import type { Sql } from '../../src/db/client.js'
import {
  forEachComponentSeries,
  scorerStreams,
  type ComponentScope,
  type ComponentSeries
} from '../../src/db/health-series.js'
import { ORG, OTHER_ORG, USER, as, database } from './fixtures.js'

const MINUTE = 60_000

async function read(
  sql: Sql,
  from: Date,
  windowStart: Date,
  at: Date,
  scope: ComponentScope = {}
): Promise<ComponentSeries[]> {
  const rows: ComponentSeries[] = []
  await as(sql, 'service', async tx => {
    await forEachComponentSeries(tx, from, windowStart, at, scope, null, row => {
      rows.push(row)
    })
  })
  return rows
}

t.test('each component comes back as one packed series, split at the window start', async t => {
  const sql = await database(t)
  // A window start with milliseconds, as a backtest's `at` may have.
  const at = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE + 123)
  const windowStart = new Date(at.getTime() - 15 * MINUTE)
  const from = new Date(windowStart.getTime() - 60 * MINUTE)
  const insert = async (
    name: string,
    organizationId: string | null,
    createdAt: string,
    values: { latency?: number | null; type?: string; user?: string | null } = {}
  ): Promise<string> => {
    const [row] = await sql<Array<{ id: string }>>`
      insert into system_health_events (component_type, component_name, status, organization_id, user_id, created_at, latency_ms, error_rate, cpu_usage_percent, memory_usage_percent, disk_usage_percent)
      values (${values.type ?? 'api'}, ${name}, 'healthy', ${organizationId}, ${values.user ?? null}, ${createdAt}::timestamptz,
        ${values.latency === undefined ? 100 : values.latency}, 1, 20, 30, 40)
      returning id`
    return row?.id as string
  }
  const iso = (date: Date): string => date.toISOString()
  const ws = iso(windowStart)

  await insert('checkout', ORG, iso(new Date(from.getTime() - 1)), { latency: 999 })
  await insert('checkout', ORG, iso(new Date(windowStart.getTime() - 5 * MINUTE)), { latency: 120 })
  await sql`insert into system_health_events (component_type, component_name, status, organization_id, created_at, latency_ms)
    values ('api', 'checkout', 'healthy', ${ORG}, ${ws}::timestamptz - interval '500 microseconds', null)`
  const atStart = await insert('checkout', ORG, ws, { latency: 130 })
  const justAfter = await sql<
    Array<{ id: string }>
  >`insert into system_health_events (component_type, component_name, status, organization_id, user_id, created_at, latency_ms)
    values ('worker', 'checkout', 'healthy', ${ORG}, ${USER}, ${ws}::timestamptz + interval '400 microseconds', 140) returning id`
  await insert('checkout', ORG, iso(new Date(at.getTime() + 1)), { latency: 999 })
  await insert('checkout', OTHER_ORG, iso(new Date(windowStart.getTime() + MINUTE)), { latency: 50 })
  await insert('search', ORG, iso(new Date(windowStart.getTime() - 30 * MINUTE)), { latency: 70 })

  const rows = await read(sql, from, windowStart, at)
  t.same(
    rows.map(row => `${row.component_name} ${row.organization_id}`).sort(),
    [`checkout ${ORG}`, `checkout ${OTHER_ORG}`, `search ${ORG}`].sort(),
    'one row per organization and component'
  )

  const checkout = rows.find(row => row.component_name === 'checkout' && row.organization_id === ORG)
  t.equal(checkout?.t.length, 4, 'nothing before the lookback or after the evaluation time')
  t.same(
    [...(checkout?.latency_ms ?? [])].map(v => (Number.isNaN(v) ? 'missing' : v)),
    [120, 'missing', 130, 140]
  )
  t.same(
    [...(checkout?.error_rate ?? [])].map(v => (Number.isNaN(v) ? 'missing' : v)),
    [1, 'missing', 1, 'missing']
  )
  t.equal(checkout?.t[0], windowStart.getTime() - 5 * MINUTE)
  t.ok(
    (checkout?.t[1] as number) < (checkout?.t[2] as number) && (checkout?.t[2] as number) < (checkout?.t[3] as number),
    'oldest first'
  )
  t.same(
    checkout?.window_ids,
    [atStart, justAfter[0]?.id],
    'the window holds the events at or after its start, 0.5 ms earlier is history'
  )
  t.match(checkout, { user_id: USER, component_type: 'worker' }, 'the latest event names the owner and type')

  const only = await read(sql, from, windowStart, at, { componentName: 'search' })
  t.same(
    only.map(row => [row.component_name, row.window_ids, [...row.latency_ms]]),
    [['search', [], [70]]],
    'one component by name; no window events: an empty window'
  )
  const names = (scoped: ComponentSeries[]) => scoped.map(row => `${row.component_name} ${row.organization_id}`).sort()
  t.same(
    names(
      await read(sql, from, windowStart, at, {
        only: [
          { organizationId: OTHER_ORG, componentName: 'checkout' },
          { organizationId: null, componentName: 'search' }
        ]
      })
    ),
    [`checkout ${OTHER_ORG}`],
    'only some components, by organization and name: the same name elsewhere, or the platform, is not them'
  )
  t.same(
    names(await read(sql, from, windowStart, at, { except: [{ organizationId: ORG, componentName: 'checkout' }] })),
    [`checkout ${OTHER_ORG}`, `search ${ORG}`].sort(),
    'all but some components'
  )
})

t.test('a failing consumer fails the read with its error, judging nothing after it', async t => {
  const sql = await database(t)
  await sql`insert into system_health_events (component_type, component_name, status, latency_ms)
    select 'api', 'svc-' || i, 'healthy', i from generate_series(1, 50) i`
  const now = Date.now()
  let calls = 0
  const read = as(sql, 'service', async tx => {
    await forEachComponentSeries(
      tx,
      new Date(now - 60 * MINUTE),
      new Date(now - 15 * MINUTE),
      new Date(now + MINUTE),
      {},
      null,
      () => {
        calls++
        throw new Error('judging failed')
      }
    )
  })
  await t.rejects(read, { message: 'judging failed' })
  t.equal(calls, 1, 'no component is judged after the first failure')
})

t.test(
  "scorer streams are a metric's reported values in event-time order, the newest `limit` up to `at`, or all after a position",
  async t => {
    const sql = await database(t)
    const at = Math.floor(Date.now() / MINUTE) * MINUTE
    await sql`insert into system_health_events (component_type, component_name, status, organization_id, created_at, latency_ms, cpu_usage_percent)
    select 'api', 'checkout', 'healthy', ${ORG}, ${new Date(at)}::timestamptz - make_interval(mins => m), case when m = 12 then null else 1000 + m end, m
    from generate_series(1, 20) m`
    await sql`insert into system_health_events (component_type, component_name, status, organization_id, created_at, latency_ms)
    values ('api', 'checkout', 'healthy', ${OTHER_ORG}, ${new Date(at - 11 * MINUTE)}, 5)`
    const [position] = await sql<Array<{ at: string; id: string }>>`
      select event_time::text as at, id from system_health_events where organization_id = ${ORG} and latency_ms = 1015`
    const { streams, setting } = await as(sql, 'service', async tx => {
      await tx`select set_config('enable_bitmapscan', 'on', true)`
      const key = { organization_id: ORG, component_name: 'checkout', after_at: null, after_id: null }
      const streams = await scorerStreams(
        tx,
        [
          { ...key, metric: 'latency_ms' },
          { ...key, metric: 'cpu_usage_percent' },
          { ...key, organization_id: null, metric: 'latency_ms' },
          { ...key, metric: 'latency_ms', after_at: position?.at ?? null, after_id: position?.id ?? null }
        ],
        new Date(at - 20 * MINUTE),
        new Date(at - 10 * MINUTE),
        3
      )
      const [row] = await tx<Array<{ setting: string }>>`select current_setting('enable_bitmapscan') as setting`
      return { streams, setting: row?.setting }
    })
    t.same(
      streams.map(stream => [...stream.v]),
      [[1013, 1011, 1010], [12, 11, 10], [], [1013, 1011, 1010]],
      'the newest three up to `at`; a missing value is skipped, not counted; after a position, only what follows it'
    )
    t.same([...(streams[0]?.t ?? [])], [at - 13 * MINUTE, at - 11 * MINUTE, at - 10 * MINUTE])
    t.equal(streams[0]?.ids.length, 3)
    t.match(streams[0]?.last_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, "the newest event's exact time, to resume after")
    t.equal(setting, 'on', 'the planner setting is put back for the rest of the transaction')
  }
)
