// The detector's read: one row per organization and component with its events packed oldest
// first, the window split by the events' own timestamps (a fraction of a millisecond decides),
// metrics an event left out as NaN, the latest event naming owner and type, and nothing recorded
// before the lookback or after the evaluation time.
import t from 'tap'
import { loadComponentSeries } from '../../src/db/detection.js'
import { ORG, OTHER_ORG, USER, as, database } from './fixtures.js'

const MINUTE = 60_000

t.test('each component comes back as one packed series, split at the window start', async (t) => {
  const sql = await database(t)
  // A window start with milliseconds, as a backtest's `at` may have.
  const at = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE + 123)
  const windowStart = new Date(at.getTime() - 15 * MINUTE)
  const from = new Date(windowStart.getTime() - 60 * MINUTE)
  const insert = async (name: string, organizationId: string | null, createdAt: string, values: { latency?: number | null, type?: string, user?: string | null } = {}): Promise<string> => {
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
  const justAfter = await sql<Array<{ id: string }>>`insert into system_health_events (component_type, component_name, status, organization_id, user_id, created_at, latency_ms)
    values ('worker', 'checkout', 'healthy', ${ORG}, ${USER}, ${ws}::timestamptz + interval '400 microseconds', 140) returning id`
  await insert('checkout', ORG, iso(new Date(at.getTime() + 1)), { latency: 999 })
  await insert('checkout', OTHER_ORG, iso(new Date(windowStart.getTime() + MINUTE)), { latency: 50 })
  await insert('search', ORG, iso(new Date(windowStart.getTime() - 30 * MINUTE)), { latency: 70 })

  const rows = await as(sql, 'service', async (tx) => await loadComponentSeries(tx, from, windowStart, at, undefined))
  t.same(rows.map((row) => [row.component_name, row.organization_id]), [['search', ORG], ['checkout', ORG], ['checkout', OTHER_ORG]], 'one row per organization and component, first reported first')

  const checkout = rows[1]
  t.equal(checkout?.t.length, 4, 'nothing before the lookback or after the evaluation time')
  t.same([...checkout?.latency_ms ?? []].map((v) => Number.isNaN(v) ? 'missing' : v), [120, 'missing', 130, 140])
  t.same([...checkout?.error_rate ?? []].map((v) => Number.isNaN(v) ? 'missing' : v), [1, 'missing', 1, 'missing'])
  t.equal(checkout?.t[0], windowStart.getTime() - 5 * MINUTE)
  t.ok((checkout?.t[1] as number) < (checkout?.t[2] as number) && (checkout?.t[2] as number) < (checkout?.t[3] as number), 'oldest first')
  t.same(checkout?.window_ids, [atStart, justAfter[0]?.id], 'the window holds the events at or after its start, 0.5 ms earlier is history')
  t.match(checkout, { user_id: USER, component_type: 'worker' }, 'the latest event names the owner and type')

  const only = await as(sql, 'service', async (tx) => await loadComponentSeries(tx, from, windowStart, at, 'search'))
  t.same(only.map((row) => [row.component_name, row.window_ids, [...row.latency_ms]]), [['search', [], [70]]], 'one component by name; no window events: an empty window')
})
