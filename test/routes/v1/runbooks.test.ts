// /v1/runbooks: documents in JSON or YAML, each one the next version of its name, refused whole
// with the path of every problem, readable by the organization's members only, disabled by a
// delete, published as a schema, and dry-run against a component's current state.
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { buildTestApp, tokensFor } from '../../helpers/app.js'
import { startControlEndpoint } from '../../helpers/control-endpoint.js'
import { ownerSql } from '../../helpers/database.js'

const SECRET = `whsec_${Buffer.from('runbook-route-secret-0123456789').toString('base64')}`

const document = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'checkout-latency',
  trigger: { anomaly_types: ['latency_spike'], severities: ['high', 'critical'] },
  steps: [
    { action: 'clear_cache', verify: { metric: 'latency_p95_ms', below: 500, within: '2m' } },
    { action: 'restart_function', wait: '30s', verify: { metric: 'latency_p95_ms', below: 500, within: '2m' } }
  ],
  ...overrides
})

const YAML_DOCUMENT = `
name: checkout-latency
description: Slow checkout, from YAML
trigger:
  anomaly_types: [latency_spike]
  components:
    - name: component_name
      value: checkout-*
steps:
  - name: clear the cache
    action: clear_cache
    wait: 10s
    verify:
      metric: latency_p95_ms
      below: 500
      within: 2m
    on_failure: next
  - action: restart_function
    on_failure: escalate
`

t.test('JSON and YAML documents are stored as successive versions of their name', async t => {
  const ctx = await buildTestApp(t)
  const first = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks',
    headers: ctx.admin.headers,
    payload: document()
  })
  t.equal(first.statusCode, 201, first.body)
  t.match(first.json(), {
    name: 'checkout-latency',
    version: 1,
    enabled: true,
    organization_id: ctx.admin.organizationId,
    created_by: ctx.admin.id
  })

  const second = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks',
    headers: { ...ctx.admin.headers, 'content-type': 'application/yaml' },
    payload: YAML_DOCUMENT
  })
  t.equal(second.statusCode, 201, second.body)
  t.match(second.json(), { version: 2, document: { description: 'Slow checkout, from YAML' } })
  t.same(second.json().document.steps[0], {
    name: 'clear the cache',
    action: 'clear_cache',
    wait: '10s',
    verify: { metric: 'latency_p95_ms', below: 500, within: '2m' },
    on_failure: 'next'
  })

  const latest = await ctx.app.inject({ url: '/v1/runbooks/checkout-latency', headers: ctx.user.headers })
  t.equal(latest.statusCode, 200)
  t.equal(latest.json().version, 2, 'a member reads the latest version')
  const older = await ctx.app.inject({ url: '/v1/runbooks/checkout-latency?version=1', headers: ctx.user.headers })
  t.equal(older.json().version, 1)
  t.notOk('description' in older.json().document, 'version 1 is as it was stored')
  const missing = await ctx.app.inject({ url: '/v1/runbooks/checkout-latency?version=3', headers: ctx.user.headers })
  t.equal(missing.statusCode, 404)

  const list = await ctx.app.inject({ url: '/v1/runbooks', headers: ctx.user.headers })
  t.same(
    list.json().map((row: { name: string; version: number }) => [row.name, row.version]),
    [['checkout-latency', 2]],
    'the list shows the latest version of each name'
  )

  const bySevice = await ctx.app.inject({
    method: 'POST',
    url: `/v1/runbooks?organization_id=${ctx.admin.organizationId}`,
    headers: ctx.service.headers,
    payload: document({ name: 'payments' })
  })
  t.equal(bySevice.statusCode, 201, 'the service role stores for the organization it names')
  const unnamed = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks',
    headers: ctx.service.headers,
    payload: document({ name: 'payments' })
  })
  t.equal(unnamed.statusCode, 400)
  t.match(unnamed.json().errors, [{ path: '/querystring/organization_id' }])

  const byUser = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks',
    headers: ctx.user.headers,
    payload: document()
  })
  t.equal(byUser.statusCode, 403, 'members read runbooks, only admins and services write them')
})

t.test('an invalid document is refused with the path of each problem, and nothing is stored', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const post = async (payload: unknown, contentType = 'application/json') =>
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/runbooks',
      headers: { ...ctx.admin.headers, 'content-type': contentType },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload)
    })

  const badWithin = await post(
    document({
      steps: [
        { action: 'clear_cache' },
        { action: 'restart_function', verify: { metric: 'latency_p95_ms', below: 500, within: 'soon' } }
      ]
    })
  )
  t.equal(badWithin.statusCode, 400)
  t.match(badWithin.headers['content-type'], /^application\/problem\+json/)
  t.match(badWithin.json().errors, [{ path: '/body/steps/1/verify/within' }])

  const unknownExecutor = await post(
    document({
      steps: [
        { action: 'clear_cache', parameters: { surprise: true } },
        { action: 'reboot_the_world' },
        { action: 'restart_function', verify: { metric: 'latency_p95_ms', below: 500, above: 100, within: '2h' } }
      ]
    })
  )
  t.equal(unknownExecutor.statusCode, 400)
  const paths = unknownExecutor.json().errors.map((error: { path: string }) => error.path)
  t.same(
    paths,
    ['/body/steps/0/parameters', '/body/steps/1/action', '/body/steps/2/verify', '/body/steps/2/verify/within'],
    'every rule the schema cannot say, each at its path'
  )
  t.match(unknownExecutor.json().errors[1].message, /names no executor \(known: .*restart_function/)

  const badYaml = await post('name: [unclosed', 'application/yaml')
  t.equal(badYaml.statusCode, 400)
  t.match(badYaml.json().errors, [{ path: '/body', message: /is not valid YAML/ }])
  const yamlMissingSteps = await post('name: x\ntrigger:\n  anomaly_types: [latency_spike]\n', 'application/yaml')
  t.equal(yamlMissingSteps.statusCode, 400)
  t.match(yamlMissingSteps.body, /steps/)
  const bomb = await post(
    `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n`,
    'application/yaml'
  )
  t.equal(bomb.statusCode, 400, 'aliases past the cap are refused, not expanded')
  const infinite = await post(YAML_DOCUMENT.replace('below: 500', 'below: .inf'), 'application/yaml')
  t.equal(infinite.statusCode, 400, 'YAML .inf, which JSON cannot hold, is refused (it was stored as below 0)')
  t.match(infinite.json().errors, [{ path: '/body/steps/0/verify/below' }])
  const notANumber = await post(YAML_DOCUMENT.replace('below: 500', 'below: .NaN'), 'application/yaml')
  t.match(notANumber.json().errors, [{ path: '/body/steps/0/verify/below' }], 'so is .nan')
  const reserved = await post(document({ name: 'schema' }))
  t.match(reserved.json().errors, [{ path: '/body/name' }])

  const [{ count }] = (await sql`select count(*)::int as count from runbooks`) as unknown as [{ count: number }]
  t.equal(count, 0, 'nothing stored')
})

t.test('the published schema is the document schema', async t => {
  const ctx = await buildTestApp(t)
  const res = await ctx.app.inject({ url: '/v1/runbooks/schema', headers: ctx.user.headers })
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'RunbookDocument',
    required: ['name', 'trigger', 'steps'],
    properties: { steps: { items: { properties: { on_failure: { enum: ['next', 'stop', 'escalate', 'rollback'] } } } } }
  })
  const openapi = ctx.app.swagger() as unknown as { components: { schemas: Record<string, unknown> } }
  t.ok(openapi.components.schemas.RunbookDocument, 'and a component of the OpenAPI document')
})

t.test("another organization's runbooks and runs are not readable, nor writable", async t => {
  const ctx = await buildTestApp(t)
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks',
    headers: ctx.admin.headers,
    payload: document()
  })
  t.equal(created.statusCode, 201)
  const stranger = await tokensFor(randomUUID())
  for (const caller of [stranger.user, stranger.admin]) {
    t.equal((await ctx.app.inject({ url: '/v1/runbooks/checkout-latency', headers: caller.headers })).statusCode, 404)
    t.same((await ctx.app.inject({ url: '/v1/runbooks', headers: caller.headers })).json(), [])
  }
  const deleted = await ctx.app.inject({
    method: 'DELETE',
    url: '/v1/runbooks/checkout-latency',
    headers: stranger.admin.headers
  })
  t.equal(deleted.statusCode, 404)
  const dryRun = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks/checkout-latency/dry-run',
    headers: stranger.admin.headers,
    payload: { component_name: 'checkout-api' }
  })
  t.equal(dryRun.statusCode, 404)
  const mine = await ctx.app.inject({ url: '/v1/runbooks/checkout-latency', headers: ctx.user.headers })
  t.match(mine.json(), { version: 1, enabled: true }, 'untouched')
})

t.test('a delete disables every version; a new version enables the name again', async t => {
  const ctx = await buildTestApp(t)
  await ctx.app.inject({ method: 'POST', url: '/v1/runbooks', headers: ctx.admin.headers, payload: document() })
  const deleted = await ctx.app.inject({
    method: 'DELETE',
    url: '/v1/runbooks/checkout-latency',
    headers: ctx.admin.headers
  })
  t.equal(deleted.statusCode, 200)
  t.match(deleted.json(), { version: 1, enabled: false, disabled_at: String })
  const again = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks',
    headers: ctx.admin.headers,
    payload: document()
  })
  t.match(again.json(), { version: 2, enabled: true })
  const v1 = await ctx.app.inject({ url: '/v1/runbooks/checkout-latency?version=1', headers: ctx.user.headers })
  t.equal(v1.json().enabled, false, 'the old version stays disabled')
  const unknown = await ctx.app.inject({
    method: 'DELETE',
    url: '/v1/runbooks/nothing-here',
    headers: ctx.admin.headers
  })
  t.equal(unknown.statusCode, 404)
})

t.test('a dry run shows every step against the current state and does nothing', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  const org = ctx.admin.organizationId
  const registered = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/checkout-api',
    headers: ctx.admin.headers,
    payload: { component_type: 'service', webhook_url: endpoint.url, webhook_secret: SECRET }
  })
  t.equal(registered.statusCode, 200, registered.body)
  await sql`insert into system_health_events (organization_id, component_type, component_name, status, latency_p95_ms, latency_p50_ms, latency_p99_ms)
    values (${org}, 'service', 'checkout-api', 'degraded', 820, 400, 900)`
  await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks',
    headers: ctx.admin.headers,
    payload: document({
      steps: [
        { action: 'restart_function', verify: { metric: 'latency_p95_ms', below: 500, within: '2m' } },
        { action: 'rollback_deployment', wait: '1m', on_failure: 'escalate' }
      ]
    })
  })
  const before =
    await sql`select (select count(*)::int from recovery_actions) as actions, (select count(*)::int from runbook_runs) as runs`

  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks/checkout-latency/dry-run',
    headers: ctx.admin.headers,
    payload: { component_name: 'checkout-api', anomaly_type: 'latency_spike', severity: 'low' }
  })
  t.equal(res.statusCode, 200, res.body)
  const report = res.json()
  t.match(report, {
    runbook: 'checkout-latency',
    version: 1,
    component_name: 'checkout-api',
    trigger_matches: false,
    mode: 'auto'
  })
  t.match(report.steps[0], {
    index: 0,
    action: 'restart_function',
    held_by: null,
    requires_approval: false,
    simulation: /^dry run: would POST/,
    on_failure: 'next',
    verification: { metric: 'latency_p95_ms', condition: 'below 500', observed: 820, passed: false }
  })
  t.match(report.steps[1], {
    index: 1,
    action: 'rollback_deployment',
    requires_approval: true,
    wait_seconds: 60,
    on_failure: 'escalate',
    verification: null
  })
  t.equal(endpoint.requests.length, 0, 'the control endpoint heard nothing')
  t.same(
    await sql`select (select count(*)::int from recovery_actions) as actions, (select count(*)::int from runbook_runs) as runs`,
    before,
    'nothing stored'
  )
  const unknown = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks/nothing-here/dry-run',
    headers: ctx.admin.headers,
    payload: { component_name: 'checkout-api' }
  })
  t.equal(unknown.statusCode, 404)
})

t.test("docs/runbooks.md's example is a valid runbook", async t => {
  const ctx = await buildTestApp(t)
  const docs = await readFile('docs/runbooks.md', 'utf8')
  const example = /```yaml\n([\s\S]*?)```/.exec(docs)?.[1]
  t.ok(example, 'the page has a YAML example')
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/runbooks',
    headers: { ...ctx.admin.headers, 'content-type': 'application/yaml' },
    payload: example
  })
  t.equal(res.statusCode, 201, res.body)
  t.match(res.json().document.steps, [
    { action: 'clear_cache' },
    { timeout: '20s' },
    { parameters: { to_version: '4.2.0' } }
  ])
})
