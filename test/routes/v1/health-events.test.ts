// /v1/health-events: ingestion by the service role (single, batch all-or-none, idempotent),
// reading under row-level security, keyset pagination, and validation naming the field.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    component_type: 'edge_function',
    component_name: 'orchestrate-flow',
    status: 'healthy',
    latency_ms: 120,
    error_rate: 0.5,
    ...overrides
  }
}

async function post(ctx: TestApp, payload: unknown, headers: Record<string, string> = {}) {
  return await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events',
    headers: { ...ctx.service.headers, ...headers },
    payload: payload as Record<string, unknown>
  })
}

t.test('the service role stores one event and gets the row back with numbers as numbers', async t => {
  const ctx = await buildTestApp(t)
  const res = await post(
    ctx,
    event({
      user_id: ctx.user.id,
      organization_id: ctx.user.organizationId,
      latency_p95_ms: 310.5,
      error_types: { timeout: 2 },
      tags: ['phase6']
    })
  )
  t.equal(res.statusCode, 201)
  const row = res.json()
  t.match(row, {
    id: String,
    user_id: ctx.user.id,
    organization_id: ctx.user.organizationId,
    component_name: 'orchestrate-flow',
    environment: 'production',
    status: 'healthy',
    latency_ms: 120,
    latency_p95_ms: 310.5,
    error_rate: 0.5,
    error_types: { timeout: 2 },
    tags: ['phase6'],
    cpu_usage_percent: null
  })
  t.match(row.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO 8601 UTC')
  t.equal(res.headers['idempotent-replayed'], 'false')
})

t.test('only the service role may ingest', async t => {
  const ctx = await buildTestApp(t)
  for (const caller of [ctx.user, ctx.admin]) {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/health-events',
      headers: caller.headers,
      payload: event()
    })
    t.equal(res.statusCode, 403)
  }
  t.equal((await ctx.app.inject({ method: 'POST', url: '/v1/health-events', payload: event() })).statusCode, 401)
})

t.test('bad input is a 400 naming each field, and nothing is stored', async t => {
  const ctx = await buildTestApp(t)
  const cases: Array<[Record<string, unknown>, string]> = [
    [event({ status: 'fine' }), '/body/status'],
    [event({ error_rate: 140 }), '/body/error_rate'],
    [event({ latency_ms: '120' }), '/body/latency_ms'],
    [event({ user_id: 'not-a-uuid' }), '/body/user_id'],
    [event({ surprise: 1 }), '/body/surprise'],
    [{ component_type: 'x', status: 'healthy' }, '/body/component_name']
  ]
  for (const [payload, path] of cases) {
    const res = await post(ctx, payload)
    t.equal(res.statusCode, 400, path)
    t.ok(
      res.json().errors.some((e: { path: string }) => e.path === path),
      `names ${path}`
    )
  }
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(await sql`select count(*)::int as n from system_health_events`, [{ n: 0 }])
})

t.test('a batch is stored all or none', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const events = Array.from({ length: 20 }, (_, i) => event({ component_name: `fn-${i}` }))
  const ok = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: { events }
  })
  t.equal(ok.statusCode, 201)
  t.equal(ok.json().inserted, 20)
  t.equal(ok.json().ids.length, 20)

  const oneBad = [...events.slice(0, 5), event({ status: 'bogus' }), ...events.slice(5)]
  const bad = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: { events: oneBad }
  })
  t.equal(bad.statusCode, 400)
  t.ok(
    bad.json().errors.some((e: { path: string }) => e.path === '/body/events/5/status'),
    'names the event and field'
  )

  // Passes validation but breaks a database rule (p50 above p95): the statement fails whole.
  const dbBad = [...events, event({ latency_p50_ms: 900, latency_p95_ms: 100 })]
  const rejected = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: { events: dbBad }
  })
  t.equal(rejected.statusCode, 400)
  t.same(
    await sql`select count(*)::int as n from system_health_events`,
    [{ n: 20 }],
    'nothing from the refused batches'
  )

  const tooMany = Array.from({ length: 1001 }, () => event())
  const oversized = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: { events: tooMany }
  })
  t.equal(oversized.statusCode, 400)
  t.ok(oversized.json().errors.some((e: { path: string }) => e.path === '/body/events'))
})

// The batch goes to PostgreSQL as one JSON array read back by the table's row type: every
// column of every type must arrive as sent, in the events' order, with what array literals
// and JSON escaping get wrong (quotes, backslashes, braces, commas, a "NULL" string, non-ASCII).
t.test('a batch stores every field as sent, in the order sent, once per Idempotency-Key', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const now = Date.now()
  const iso = (ms: number): string => new Date(ms).toISOString()
  const tricky = 'quote" back\\slash {brace}, comma ünï 🚀'
  const full = {
    user_id: ctx.user.id,
    organization_id: ctx.user.organizationId,
    component_type: 'edge_function',
    component_name: tricky,
    environment: 'staging',
    status: 'degraded',
    component_version: 'v1 "beta"',
    uptime_percentage: 99.95,
    availability_percentage: 0.1,
    latency_ms: 1e-7,
    latency_p50_ms: 12.5,
    latency_p95_ms: 12.5,
    latency_p99_ms: 4000.25,
    throughput_per_minute: 123456.789,
    error_count: 2_147_483_647,
    error_rate: 100,
    last_error_message: 'line1\nline2\t"quoted" \\ end',
    last_error_timestamp: '2026-11-30T10:00:00.123+02:00',
    cpu_usage_percent: 0,
    memory_usage_mb: 512.75,
    memory_usage_percent: 33.3,
    disk_usage_mb: 1_048_576,
    disk_usage_percent: 99.999,
    network_in_mbps: 0.001,
    network_out_mbps: 1000,
    db_connection_count: 18,
    db_query_count: Number.MAX_SAFE_INTEGER,
    db_slow_query_count: 0,
    db_deadlock_count: 1,
    db_cache_hit_rate: 98.6,
    integration_name: 'NULL',
    integration_success_rate: 97.5,
    integration_retry_count: 3,
    integration_timeout_count: 1,
    measurement_window_start: iso(now - 360_000),
    measurement_window_end: iso(now - 60_000),
    measurement_window_seconds: 300,
    error_types: { timeout: 3, nested: { deep: [1, 'two', null] } },
    metadata: { region: 'eu-west-1', 'key "q"': 'v\\w' },
    tags: ['a,b', 'quote"d', 'back\\slash', '{braces}', 'NULL', 'ünï']
  }
  const bare = event({ component_name: 'bare', latency_ms: undefined, error_rate: undefined })
  const nulls = event({ component_name: 'nulls', latency_ms: null, error_rate: null, user_id: null })
  const events = [full, bare, nulls, { ...full, component_name: 'last' }]
  const key = randomUUID()
  const send = async () =>
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/health-events/batch',
      headers: { ...ctx.service.headers, 'idempotency-key': key },
      payload: { events }
    })
  const res = await send()
  t.equal(res.statusCode, 201)
  const ids = res.json().ids as string[]
  t.equal(ids.length, 4)

  for (const [index, id] of ids.entries()) {
    const read = await ctx.app.inject({ url: `/v1/health-events/${id}`, headers: ctx.service.headers })
    t.equal(read.statusCode, 200)
    const sent = events[index] as Record<string, unknown>
    const expected = Object.fromEntries(
      Object.entries(sent)
        .filter(([, value]) => value !== undefined)
        .map(([field, value]) => [
          field,
          field.endsWith('_timestamp') || (field.startsWith('measurement_window_') && typeof value === 'string')
            ? new Date(value as string).toISOString()
            : value
        ])
    )
    t.match(read.json(), expected, `event ${index} stored as sent, under the id at its index`)
  }
  const [bareRow] =
    await sql`select environment, error_types, metadata, tags, latency_ms from system_health_events where id = ${ids[1] as string}`
  t.same(
    bareRow,
    { environment: 'production', error_types: {}, metadata: {}, tags: [], latency_ms: null },
    "fields left out take the schema's defaults or NULL"
  )

  const again = await send()
  t.equal(again.statusCode, 201)
  t.same(again.json().ids, ids, 'the retry replays the ids')
  t.same(await sql`select count(*)::int as n from system_health_events`, [{ n: 4 }], 'stored once')
})

t.test('Idempotency-Key: a retry returns the first response, a different body is 422', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const key = randomUUID()
  const first = await post(ctx, event(), { 'idempotency-key': key })
  const again = await post(ctx, event(), { 'idempotency-key': key })
  t.equal(first.statusCode, 201)
  t.equal(again.statusCode, 201)
  t.same(again.json(), first.json())
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.same(await sql`select count(*)::int as n from system_health_events`, [{ n: 1 }])

  const different = await post(ctx, event({ status: 'degraded' }), { 'idempotency-key': key })
  t.equal(different.statusCode, 422)
  t.equal(different.json().code, 'IDEMPOTENCY_KEY_REUSED')

  const concurrent = randomUUID()
  const racing = await Promise.all(
    Array.from(
      { length: 5 },
      async () => await post(ctx, event({ component_name: 'race' }), { 'idempotency-key': concurrent })
    )
  )
  t.same(new Set(racing.map(res => res.json().id)).size, 1, 'racing retries share one row')
  t.same(await sql`select count(*)::int as n from system_health_events where component_name = 'race'`, [{ n: 1 }])

  await sql`update idempotency_keys set created_at = now() - interval '25 hours' where idempotency_key = ${key}`
  const expired = await post(ctx, event({ status: 'degraded' }), { 'idempotency-key': key })
  t.equal(expired.statusCode, 201, 'an expired key may be used again')
  t.not(expired.json().id, first.json().id)
})

t.test('reads follow row-level security: own rows, admin all, others 404', async t => {
  const ctx = await buildTestApp(t)
  const mine = (await post(ctx, event({ user_id: ctx.user.id, component_name: 'mine' }))).json()
  const theirs = (await post(ctx, event({ user_id: ctx.otherUser.id, component_name: 'theirs' }))).json()

  const asUser = await ctx.app.inject({ url: '/v1/health-events', headers: ctx.user.headers })
  t.same(
    asUser.json().items.map((row: { id: string }) => row.id),
    [mine.id]
  )
  t.equal((await ctx.app.inject({ url: `/v1/health-events/${theirs.id}`, headers: ctx.user.headers })).statusCode, 404)
  t.equal((await ctx.app.inject({ url: `/v1/health-events/${mine.id}`, headers: ctx.user.headers })).json().id, mine.id)

  const asAdmin = await ctx.app.inject({ url: '/v1/health-events', headers: ctx.admin.headers })
  t.same(
    asAdmin
      .json()
      .items.map((row: { id: string }) => row.id)
      .sort(),
    [mine.id, theirs.id].sort()
  )
  t.equal(
    (await ctx.app.inject({ url: `/v1/health-events/${randomUUID()}`, headers: ctx.admin.headers })).statusCode,
    404
  )
  t.equal((await ctx.app.inject({ url: '/v1/health-events/not-a-uuid', headers: ctx.admin.headers })).statusCode, 400)
})

t.test('filters narrow the list', async t => {
  const ctx = await buildTestApp(t)
  await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: {
      events: [
        event({ component_name: 'a', status: 'critical' }),
        event({ component_name: 'b', environment: 'staging' }),
        event({ component_name: 'a', component_type: 'database' })
      ]
    }
  })
  const list = async (query: string) =>
    (await ctx.app.inject({ url: `/v1/health-events?${query}`, headers: ctx.admin.headers })).json().items.length
  t.equal(await list('component_name=a'), 2)
  t.equal(await list('status=critical'), 1)
  t.equal(await list('environment=staging'), 1)
  t.equal(await list('component_type=database'), 1)
  t.equal(await list(`since=${new Date(Date.now() + 60_000).toISOString()}`), 0)
  t.equal(await list(`until=${new Date(Date.now() + 60_000).toISOString()}`), 3)
  const bad = await ctx.app.inject({ url: '/v1/health-events?status=fine&limit=0', headers: ctx.admin.headers })
  t.equal(bad.statusCode, 400)
  t.same(
    bad
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort(),
    ['/querystring/limit', '/querystring/status']
  )
  t.equal(
    (await ctx.app.inject({ url: '/v1/health-events?cursor=garbage', headers: ctx.admin.headers })).statusCode,
    400
  )
})

t.test('pagination over three pages is stable under concurrent inserts', async t => {
  const ctx = await buildTestApp(t)
  const insert = async (names: string[]) =>
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/health-events/batch',
      headers: ctx.service.headers,
      payload: { events: names.map(name => event({ component_name: name })) }
    })
  // Separate statements, so rows carry distinct and identical created_at values alike.
  await insert(['e1', 'e2', 'e3', 'e4'])
  await insert(['e5', 'e6', 'e7'])
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const query: string = `limit=3${cursor === null ? '' : `&cursor=${cursor}`}`
    const res = await ctx.app.inject({ url: `/v1/health-events?${query}`, headers: ctx.admin.headers })
    const body = res.json()
    seen.push(...body.items.map((row: { component_name: string }) => row.component_name))
    cursor = body.next_cursor
    pages += 1
    await insert([`late-${pages}`])
  } while (cursor !== null)
  t.equal(pages, 3)
  t.equal(seen.length, 7, 'no row twice, none skipped')
  t.same(new Set(seen), new Set(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']))
})
