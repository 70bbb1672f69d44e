// Input PostgreSQL cannot store or that could exhaust the parser is the caller's 400, naming
// the field, before any work: NUL bytes (text and jsonb refuse them) in bodies, keys, queries and
// paths; timestamps and cursors outside what timestamptz holds; JSON nested past the limit.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp } from '../helpers/app.js'
import { ownerSql } from '../helpers/database.js'
import { MAX_JSON_DEPTH, scanJson } from '../../src/plugins/json-body.js'

const event = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  component_type: 'edge_function',
  component_name: 'orchestrate-flow',
  status: 'healthy',
  ...overrides
})

function nested(depth: number): unknown {
  let value: unknown = 'leaf'
  for (let i = 0; i < depth; i++) value = { a: value }
  return value
}

const cursorOf = (createdAt: string): string =>
  Buffer.from(JSON.stringify([createdAt, randomUUID()])).toString('base64url')

t.test('hostile input is 400 naming the field, and nothing is stored', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const post = async (url: string, payload: unknown) =>
    await ctx.app.inject({
      method: 'POST',
      url,
      headers: { ...ctx.service.headers, 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload)
    })
  const get = async (url: string) => await ctx.app.inject({ url, headers: ctx.admin.headers })

  const cases: Array<
    [string, () => Promise<{ statusCode: number; json: () => { errors?: Array<{ path: string }> } }>, string]
  > = [
    [
      'NUL in a body string',
      async () => await post('/v1/health-events', event({ component_name: 'orchestrate\u0000flow' })),
      '/body/component_name'
    ],
    [
      'NUL in free-form JSON',
      async () => await post('/v1/health-events', event({ metadata: { note: ['ok', 'bad\u0000'] } })),
      '/body/metadata/note/1'
    ],
    [
      'NUL in a key of free-form JSON',
      async () => await post('/v1/health-events', event({ error_types: { 'time\u0000out': 3 } })),
      '/body/error_types/time\\u0000out'
    ],
    [
      'NUL in a batch item',
      async () => await post('/v1/health-events/batch', { events: [event(), event({ last_error_message: '\u0000' })] }),
      '/body/events/1/last_error_message'
    ],
    ['NUL in a query', async () => await get('/v1/health-events?component_name=a%00b'), '/querystring/component_name'],
    ['NUL in a path', async () => await get('/v1/components/a%00b'), '/params/component_name'],
    [
      'year 0 in a body timestamp',
      async () => await post('/v1/health-events', event({ last_error_timestamp: '0000-06-01T00:00:00Z' })),
      '/body/last_error_timestamp'
    ],
    [
      'year 300000 in a body timestamp',
      async () => await post('/v1/health-events', event({ measurement_window_start: '+300000-01-01T00:00:00Z' })),
      '/body/measurement_window_start'
    ],
    [
      '-infinity in a body timestamp',
      async () => await post('/v1/health-events', event({ measurement_window_end: '-infinity' })),
      '/body/measurement_window_end'
    ],
    ['infinity in a query timestamp', async () => await get('/v1/health-events?since=infinity'), '/querystring/since'],
    [
      'year 0 in a query timestamp',
      async () => await get('/v1/recovery-actions/statistics?until=0000-01-01T00:00:00Z'),
      '/querystring/until'
    ],
    [
      'a cursor at year 0',
      async () => await get(`/v1/health-events?cursor=${cursorOf('0000-01-01T00:00:00Z')}`),
      '/querystring/cursor'
    ],
    [
      'a cursor at year 275760',
      async () => await get(`/v1/recovery-actions?cursor=${cursorOf('+275760-09-13T00:00:00Z')}`),
      '/querystring/cursor'
    ],
    [
      'a cursor at -infinity',
      async () => await get(`/v1/anomalies?cursor=${cursorOf('-infinity')}`),
      '/querystring/cursor'
    ],
    [
      'a cursor holding a NUL',
      async () => await get(`/v1/selftests?cursor=${cursorOf('2026-01-01T00:00:00Z\u0000')}`),
      '/querystring/cursor'
    ],
    [
      `JSON nested ${MAX_JSON_DEPTH + 1} deep`,
      async () => await post('/v1/health-events', event({ metadata: nested(MAX_JSON_DEPTH) })),
      '/body'
    ],
    [
      'a number JSON.parse reads as infinity',
      async () =>
        await post(
          '/v1/health-events',
          '{"component_type":"edge_function","component_name":"a","status":"healthy","latency_ms":1e400}'
        ),
      '/body/latency_ms'
    ],
    [
      'a batch item with a number 400 digits long',
      async () =>
        await post(
          '/v1/health-events/batch',
          `{"events":[{"component_type":"edge_function","component_name":"a","status":"healthy","latency_ms":1},` +
            `{"component_type":"edge_function","component_name":"a","status":"healthy","throughput_per_minute":${'9'.repeat(400)}}]}`
        ),
      '/body/events/1/throughput_per_minute'
    ],
    [
      'minus infinity in free-form JSON',
      async () =>
        await post(
          '/v1/health-events',
          '{"component_type":"edge_function","component_name":"a","status":"healthy","metadata":{"x~y":[-1E+999]}}'
        ),
      '/body/metadata/x~0y/0'
    ],
    [
      'JSON nested 100,000 deep',
      async () => await post('/v1/health-events', '['.repeat(100_000) + ']'.repeat(100_000)),
      '/body'
    ]
  ]
  for (const [name, send, path] of cases) {
    const res = await send()
    t.equal(res.statusCode, 400, name)
    t.same(
      res.json().errors?.map(e => e.path),
      [path],
      name
    )
  }
  t.same(await sql`select count(*)::int as n from system_health_events`, [{ n: 0 }], 'nothing was stored')

  const deepest = await post('/v1/health-events', event({ metadata: nested(MAX_JSON_DEPTH - 2) }))
  t.equal(deepest.statusCode, 201, `JSON nested ${MAX_JSON_DEPTH} deep is accepted`)
  const strings = await post(
    '/v1/health-events',
    event({
      last_error_message: 'tab\there, emoji 🚑, escaped \\u0000 text',
      measurement_window_start: '0001-01-01T00:00:00Z'
    })
  )
  t.equal(strings.statusCode, 201, 'ordinary text, an escaped backslash-u and the first year are fine')
  const large = await post(
    '/v1/health-events',
    '{"component_type":"edge_function","component_name":"e400","status":"healthy","latency_ms":1e300,"metadata":{"tiny":1e-400}}'
  )
  t.equal(large.statusCode, 201, 'a large finite number, a tiny one and "e400" in a string are fine')
})

t.test('the depth count skips brackets inside strings, escaped quotes included', async t => {
  t.equal(scanJson('[[["x"]]]', 3).tooDeep, false)
  t.equal(scanJson('[[[["x"]]]]', 3).tooDeep, true)
  t.equal(scanJson(JSON.stringify({ a: '[[[[[[{{{{', b: ['\\"[[[[', '"'] }), 2).tooDeep, false)
  t.equal(scanJson(JSON.stringify([{ a: [{ b: '"]]]]' }] }]), 3).tooDeep, true)
})

t.test('the scan flags the number literals a double may not hold, and only outside strings', async t => {
  const flagged = (text: string): boolean => scanJson(text, MAX_JSON_DEPTH).mayOverflow
  for (const text of ['1e400', '-1E+999', '1.5e-400', '9'.repeat(309), '[1,{"a":2e308}]']) t.ok(flagged(text), text)
  for (const text of ['1e99', '"1e400"', '{"a\\"1e400":1}', '[1,2e10,true,false]', `0.${'1'.repeat(400)}`])
    t.notOk(flagged(text), text)
})

t.test('numbers in a query are written in decimal: other spellings are 400 naming the parameter', async t => {
  const ctx = await buildTestApp(t)
  const get = async (url: string) => await ctx.app.inject({ url, headers: ctx.admin.headers })
  // Ajv's coercion reads these as JavaScript's Number() does: 0x10 as 16, " 1" as 1.
  for (const spelling of ['0x10', '0b11', '0o17', '+5', '%201', '1%20', '%091', 'Infinity']) {
    const res = await get(`/v1/anomalies?limit=${spelling}`)
    t.equal(res.statusCode, 400, `limit=${spelling}`)
    t.match(res.json(), { code: 'INVALID_FIELDS', errors: [{ path: '/querystring/limit' }] }, `limit=${spelling}`)
  }
  const number = await get('/v1/health/availability?target_percentage=0x10')
  t.match(number.json(), { status: 400, errors: [{ path: '/querystring/target_percentage' }] }, 'a number too')
  for (const url of [
    '/v1/anomalies?limit=10',
    '/v1/anomalies?limit=010',
    '/v1/anomalies?limit=500',
    '/v1/health/components?limit=5&offset=0',
    '/v1/health/availability?target_percentage=99.5',
    '/v1/health/availability?target_percentage=100'
  ])
    t.equal((await get(url)).statusCode, 200, url)
  t.match((await get('/v1/anomalies?limit=0')).json(), { errors: [{ path: '/querystring/limit' }] }, 'range is kept')
})
