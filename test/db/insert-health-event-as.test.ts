// core314.insert_health_event_as, the one-statement path of POST /v1/health-events: the
// caller's role and claims are in force when privileges and row-level security check the row
// (every caller and every broken claim but the service role's is refused, which a login role
// that owns the table, or a superuser, would not be), they end with the statement whether it
// committed or failed, and every writable column arrives.
import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { createSql, type Sql } from '../../src/db/client.js'
import { insertHealthEventAs } from '../../src/db/health-events.js'
import { HEALTH_EVENT_COLUMNS, type HealthEventInputBody } from '../../src/schemas/health-events.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'
import { brokenClaims, callers, everyone, failure, validatedEvent as event } from './fixtures.js'

/** One connection only, so each check after a call runs on the connection the call used. */
async function oneConnection(t: Test): Promise<{ sql: Sql; owner: Sql }> {
  const { url } = await freshDatabase(t)
  const sql = createSql(url, { max: 1 })
  t.teardown(async () => {
    await sql.end({ timeout: 1 })
  })
  return { sql, owner: ownerSql(t, url) }
}

async function identityLeft(sql: Sql): Promise<{ user: boolean; claims: string }> {
  const [row] = await sql<[{ user: boolean; claims: string | null }]>`
    select current_user = session_user as user, current_setting('request.jwt.claims', true) as claims`
  return { user: row.user, claims: row.claims ?? '' }
}

async function stored(owner: Sql, name: string): Promise<number> {
  const [row] = await owner<
    [{ n: number }]
  >`select count(*)::int as n from system_health_events where component_name = ${name}`
  return row.n
}

t.test("only the service role may insert, and each caller's identity ends with its statement", async t => {
  const { sql, owner } = await oneConnection(t)
  for (const who of everyone) {
    const input = event()
    const refused = await failure(insertHealthEventAs(sql, callers[who], input))
    if (who === 'service') {
      t.equal(refused, undefined, 'the service role inserts')
    } else {
      t.equal(refused?.code, '42501', `${who} is refused: ${refused?.message ?? 'it inserted'}`)
    }
    t.equal(await stored(owner, input.component_name), who === 'service' ? 1 : 0, `${who}: stored only when allowed`)
    t.same(
      await identityLeft(sql),
      { user: true, claims: '' },
      `${who}: the connection is back to the login role with no claims`
    )
  }
})

t.test('the claims are in force for the row check: broken claims never insert, even as service_role', async t => {
  const { sql, owner } = await oneConnection(t)
  for (const { name, role, claims } of brokenClaims) {
    const input = event()
    const refused = await failure(
      sql`select * from core314.insert_health_event_as(${role}, ${claims}, ${sql.json(input as never)})`
    )
    t.equal(refused?.code, '42501', `${name}: refused`)
    t.equal(await stored(owner, input.component_name), 0, `${name}: nothing stored`)
    t.same(await identityLeft(sql), { user: true, claims: '' }, `${name}: no identity left behind`)
  }
})

t.test('a role that is not an API role is refused before anything is set', async t => {
  const { sql, owner } = await oneConnection(t)
  for (const role of ['postgres', 'pg_write_all_data', '', null]) {
    const input = event()
    const refused = await failure(
      sql`select * from core314.insert_health_event_as(${role}, ${JSON.stringify(callers.service.claims)}, ${sql.json(input as never)})`
    )
    t.equal(refused?.code, '42501', `${String(role)}: refused`)
    t.equal(await stored(owner, input.component_name), 0)
  }
  t.same(await identityLeft(sql), { user: true, claims: '' })
})

t.test('a row the database refuses leaves nothing stored and no identity behind', async t => {
  const { sql, owner } = await oneConnection(t)
  const input = event({ latency_p50_ms: 500, latency_p95_ms: 100 })
  const refused = await failure(insertHealthEventAs(sql, callers.service, input))
  t.equal(refused?.code, '23514', 'the latency order check refuses it')
  t.equal(await stored(owner, input.component_name), 0)
  t.same(await identityLeft(sql), { user: true, claims: '' })
})

t.test('the API roles may not call it to switch identity themselves', async t => {
  const { sql } = await oneConnection(t)
  for (const who of everyone) {
    const refused = await failure(
      sql.begin(async tx => {
        await tx`select set_config('role', ${callers[who].role}, true)`
        await tx`select core314.insert_health_event_as('service_role', ${JSON.stringify(callers.service.claims)}, ${tx.json(event() as never)})`
      })
    )
    t.equal(refused?.code, '42501', `${who} may not execute it`)
  }
})

t.test('every writable column arrives as sent, and the row comes back as stored', async t => {
  const { sql, owner } = await oneConnection(t)
  const full: Required<HealthEventInputBody> = {
    user_id: randomUUID(),
    organization_id: randomUUID(),
    component_type: 'edge_function',
    component_name: 'every-column',
    component_version: '1.2.3',
    environment: 'staging',
    status: 'degraded',
    uptime_percentage: 99.5,
    availability_percentage: 98.25,
    latency_ms: 120.5,
    latency_p50_ms: 100,
    latency_p95_ms: 300,
    latency_p99_ms: 900,
    throughput_per_minute: 42,
    error_count: 3,
    error_rate: 1.5,
    error_types: { timeout: 2, refused: 1 },
    last_error_message: 'upstream timeout',
    last_error_timestamp: '2026-11-28T06:00:00.000Z',
    cpu_usage_percent: 35,
    memory_usage_mb: 512,
    memory_usage_percent: 60,
    disk_usage_mb: 2048,
    disk_usage_percent: 70,
    network_in_mbps: 11,
    network_out_mbps: 12,
    db_connection_count: 13,
    db_query_count: 9_000_000_000,
    db_slow_query_count: 4,
    db_deadlock_count: 1,
    db_cache_hit_rate: 99.9,
    integration_name: 'stripe',
    integration_success_rate: 97,
    integration_retry_count: 5,
    integration_timeout_count: 2,
    measurement_window_start: '2026-11-28T05:55:00.000Z',
    measurement_window_end: '2026-11-28T06:00:00.000Z',
    measurement_window_seconds: 300,
    metadata: { region: 'eu-west-1', nested: { a: [1, 2] } },
    tags: ['phase6', 'bench']
  }
  t.same(Object.keys(full).sort(), [...HEALTH_EVENT_COLUMNS].sort(), 'this event sets every column a caller may write')
  const returned = (await insertHealthEventAs(sql, callers.service, full)) as unknown as Record<string, unknown>
  const [read] = await owner<
    Array<Record<string, unknown>>
  >`select * from system_health_events where id = ${returned.id as string}`
  for (const column of HEALTH_EVENT_COLUMNS) {
    const sent = full[column]
    const normal = (value: unknown): unknown => (value instanceof Date ? value.toISOString() : value)
    t.same(normal(read?.[column]), sent, `${column} is stored as sent`)
    t.same(normal(returned[column]), sent, `${column} comes back as stored`)
  }
  t.match(returned, { id: String, created_at: Date, updated_at: Date }, 'with the columns the database fills')
})
