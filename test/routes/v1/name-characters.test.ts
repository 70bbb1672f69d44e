// Names callers choose (components, their types and environments, channels, ingest keys,
// deploy markers, tags) refuse characters that are invisible or move text where the name is
// shown: a component named "\u202Eipa-tuokcehc" reads "checkout-api" in a message. The field is
// named in a 400 and nothing is stored; names in any script, emoji included, still pass.
import t from 'tap'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

const REFUSED: Array<[string, string]> = [
  ['right-to-left override', '\u202E'],
  ['left-to-right embedding', '\u202A'],
  ['first strong isolate', '\u2068'],
  ['pop directional isolate', '\u2069'],
  ['right-to-left mark', '\u200F'],
  ['Arabic letter mark', '\u061C'],
  ['zero-width space', '\u200B'],
  ['zero-width joiner', '\u200D'],
  ['byte order mark', '\uFEFF'],
  ['interlinear annotation anchor', '\uFFF9'],
  ['newline', '\n'],
  ['escape', '\u001B'],
  ['line separator', '\u2028']
]

async function postEvent(ctx: TestApp, overrides: Record<string, unknown>) {
  return await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events',
    headers: ctx.service.headers,
    payload: { component_type: 'service', component_name: 'checkout-api', status: 'healthy', ...overrides }
  })
}

t.test('a health event whose component name hides or reverses text is refused, the field named', async t => {
  const ctx = await buildTestApp(t)
  for (const [what, character] of REFUSED) {
    const res = await postEvent(ctx, { component_name: `${character}ipa-tuokcehc` })
    t.equal(res.statusCode, 400, what)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(
      res.json().errors,
      [{ path: '/body/component_name', message: /must not contain control or invisible formatting characters/ }],
      what
    )
  }
  for (const field of ['component_type', 'environment', 'component_version', 'integration_name']) {
    const res = await postEvent(ctx, { [field]: 'prod\u202Euction' })
    t.equal(res.statusCode, 400, field)
    t.match(res.json().errors, [{ path: `/body/${field}` }])
  }
  const tagged = await postEvent(ctx, { tags: ['ok', 'a\u2066b'] })
  t.match(tagged.json().errors, [{ path: '/body/tags/1' }])
  const sql = ownerSql(t, ctx.databaseUrl)
  t.equal((await sql`select count(*)::int as n from system_health_events`)[0]?.n, 0, 'nothing was stored')
})

t.test('names in any script and emoji pass, 200 of them counted as characters', async t => {
  const ctx = await buildTestApp(t)
  for (const name of ['خدمة-الدفع', 'שירות-תשלום', 'サービス', 'café-crème', '🚀-launcher', '🚀'.repeat(200)]) {
    const res = await postEvent(ctx, { component_name: name })
    t.equal(res.statusCode, 201, name.slice(0, 20))
    t.equal(res.json().component_name, name)
  }
  t.equal((await postEvent(ctx, { component_name: '🚀'.repeat(201) })).statusCode, 400, '201 characters are too many')
})

t.test('channel, ingest key, deploy marker, anomaly and component type names follow the same rule', async t => {
  const ctx = await buildTestApp(t)
  const refused: Array<[string, string, Record<string, unknown>, string]> = [
    [
      'POST',
      '/v1/channels',
      { name: 'pay\u202Ements', kind: 'pagerduty', routing_key: 'R0UT1NGKEY0123456789ABCDEFGHIJ01' },
      '/body/name'
    ],
    ['POST', '/v1/ingest-keys', { name: 'prod\u200Balertmanager' }, '/body/name'],
    ['POST', '/v1/deployments', { component_name: 'checkout\u2067', version: '4.2.1' }, '/body/component_name'],
    ['POST', '/v1/deployments', { component_name: 'checkout', version: '4.2.1\u202E' }, '/body/version'],
    ['PUT', '/v1/components/checkout', { component_type: 'edge\u061Cfunction' }, '/body/component_type']
  ]
  for (const [method, url, payload, path] of refused) {
    const res = await ctx.app.inject({ method: method as 'POST', url, headers: ctx.admin.headers, payload })
    t.equal(res.statusCode, 400, `${url} ${path}`)
    t.match(res.json().errors, [{ path, message: /control or invisible formatting/ }], `${url} ${path}`)
  }
  const anomaly = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies',
    headers: ctx.service.headers,
    payload: {
      anomaly_type: 'latency_spike',
      severity: 'high',
      source_type: 'test',
      source_component_name: '\u202Eipa-tuokcehc',
      detection_method: 'z\u200Bscore',
      organization_id: ctx.admin.organizationId
    }
  })
  t.match(anomaly.json().errors, [{ path: '/body/source_component_name' }, { path: '/body/detection_method' }])
  const sql = ownerSql(t, ctx.databaseUrl)
  const [stored] = await sql`
    select (select count(*) from notification_channels)::int + (select count(*) from ingest_keys)::int
      + (select count(*) from deployments)::int + (select count(*) from components)::int
      + (select count(*) from anomaly_signals)::int as n`
  t.equal(stored?.n, 0, 'nothing was stored')
})

t.test('a silence comment is free text: it may span lines', async t => {
  const ctx = await buildTestApp(t)
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/silences',
    headers: ctx.admin.headers,
    payload: {
      matchers: [{ name: 'component_name', value: 'checkout-api' }],
      ends_at: new Date(Date.now() + 3_600_000).toISOString(),
      comment: 'migrating the orders table\nticket OPS-1234'
    }
  })
  t.equal(res.statusCode, 201)
})
