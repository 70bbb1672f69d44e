// What the router decides before any route runs: every path parameter the contract allows
// reaches its route, however it is percent-encoded; a longer segment, or a path that is not
// percent-encoded UTF-8, is refused as problem+json with a documented code and the request id
// every answer carries, with or without a token.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

interface Parameter {
  in: string
  name: string
  schema: { $ref?: string; format?: string; maxLength?: number }
}
interface Document {
  paths: Record<string, Record<string, { parameters?: Parameter[] }>>
  components: { schemas: Record<string, Parameter['schema']> }
}

const UUID_LENGTH = 36

t.test('every documented path parameter at its longest reaches its route', async t => {
  const ctx = await buildTestApp(t)
  const document = (await ctx.app.inject({ url: '/openapi.json' })).json() as Document
  const resolve = (schema: Parameter['schema']) =>
    schema.$ref === undefined ? schema : (document.components.schemas[schema.$ref.split('/').pop() ?? ''] ?? {})
  for (const [path, operations] of Object.entries(document.paths))
    for (const [method, operation] of Object.entries(operations)) {
      const parameters = operation.parameters?.filter(item => item.in === 'path') ?? []
      if (parameters.length === 0) continue
      let url = path
      for (const parameter of parameters) {
        const schema = resolve(parameter.schema)
        const longest = schema.format === 'uuid' ? UUID_LENGTH : schema.maxLength
        if (longest === undefined) t.fail(`${path} {${parameter.name}} declares no longest value`)
        url = url.replace(`{${parameter.name}}`, 'a'.repeat(longest ?? 0))
      }
      // Whatever the route makes of the value (400, 404, ...), the router let it through.
      const res = await ctx.app.inject({ method: method.toUpperCase() as 'GET', url, headers: ctx.admin.headers })
      t.notMatch(res.json(), { code: /^(PATH_SEGMENT_TOO_LONG|ROUTE_NOT_FOUND)$/ }, `${method} ${path}`)
      t.not(res.statusCode, 414, `${method} ${path}`)
    }
})

t.test('a component name as long as the contract allows reaches its route, percent-encoded or not', async t => {
  const ctx = await buildTestApp(t)
  const name = `c${':'.repeat(98)}${'c'.repeat(101)}`
  t.equal(name.length, 200)
  const put = await ctx.app.inject({
    method: 'PUT',
    url: `/v1/components/${encodeURIComponent(name)}`,
    headers: ctx.admin.headers,
    payload: { component_type: 'edge_function' }
  })
  t.equal(put.statusCode, 200, put.body)
  for (const spelling of [name, encodeURIComponent(name)]) {
    const got = await ctx.app.inject({ url: `/v1/components/${spelling}`, headers: ctx.user.headers })
    t.equal(got.statusCode, 200, got.body)
    t.equal(got.json().component_name, name)
  }
  const unknown = await ctx.app.inject({ url: `/v1/components/${'c'.repeat(150)}`, headers: ctx.user.headers })
  t.match(unknown.json(), { status: 404, code: 'COMPONENT_NOT_FOUND' })
  const breaker = await ctx.app.inject({ url: `/v1/circuit-breakers/${'c'.repeat(200)}`, headers: ctx.user.headers })
  t.match(breaker.json(), { status: 404, code: 'CIRCUIT_BREAKER_NOT_FOUND' })
})

t.test('refusals of the router are problems with a documented code and the request id', async t => {
  const ctx = await buildTestApp(t)
  const cases = [
    { url: `/v1/components/${'c'.repeat(201)}`, status: 414, code: 'PATH_SEGMENT_TOO_LONG' },
    { url: `/v1/anomalies/${'a'.repeat(300)}/correlated`, status: 414, code: 'PATH_SEGMENT_TOO_LONG' },
    { url: '/v1/anomalies/%ED%A0%80', status: 400, code: 'MALFORMED_URL' },
    { url: '/v1/components/%E0%A4%A', status: 400, code: 'MALFORMED_URL' }
  ]
  for (const { url, status, code } of cases)
    for (const headers of [{}, ctx.admin.headers]) {
      const res = await ctx.app.inject({ url, headers })
      const label = `${url.slice(0, 40)} ${'authorization' in headers ? 'with' : 'without'} a token`
      t.equal(res.statusCode, status, label)
      t.match(res.headers['content-type'], /^application\/problem\+json/, label)
      t.match(res.json(), { status, code, title: /./, detail: /./ }, label)
      t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/, label)
    }
  const named = await ctx.app.inject({ url: '/v1/anomalies/%ED%A0%80', headers: { 'x-request-id': 'probe-1' } })
  t.equal(named.headers['x-request-id'], 'probe-1', "the caller's own id is returned as on any other answer")
})

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

// A templated path's segments as a pattern: a parameter takes any one segment, as the router's do.
const pattern = (path: string): RegExp => new RegExp(`^${path.replaceAll(/\{[^}]+\}/g, '[^/]+')}$`)

t.test('a method a documented path does not serve is 405 naming the methods it serves', async t => {
  const ctx = await buildTestApp(t)
  const document = (await ctx.app.inject({ url: '/openapi.json' })).json() as Document
  const templates = Object.entries(document.paths).map(([path, operations]) => ({
    matches: pattern(path),
    methods: Object.keys(operations).map(method => method.toUpperCase())
  }))
  for (const path of Object.keys(document.paths)) {
    const url = path.replaceAll(/\{[^}]+\}/g, 'a')
    // A static path may also be a value of a parameter of a sibling template (/v1/anomalies/detect
    // is also /v1/anomalies/{id}): those methods are served there too.
    const served = new Set(templates.filter(item => item.matches.test(url)).flatMap(item => item.methods))
    if (served.has('GET')) served.add('HEAD')
    for (const method of METHODS.filter(item => !served.has(item))) {
      const res = await ctx.app.inject({ method: method as 'GET', url, headers: ctx.admin.headers })
      const label = `${method} ${url}`
      t.equal(res.statusCode, 405, label)
      t.same(res.headers.allow?.toString().split(', ').sort(), [...served].sort(), label)
      t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/, label)
      if (method === 'HEAD') continue
      t.match(res.headers['content-type'], /^application\/problem\+json/, label)
      t.match(res.json(), { status: 405, code: 'METHOD_NOT_ALLOWED', title: 'Method Not Allowed', detail: /./ }, label)
    }
  }
})

t.test('a path no route serves is 404 whatever the method', async t => {
  const ctx = await buildTestApp(t)
  for (const method of METHODS) {
    const res = await ctx.app.inject({
      method: method as 'GET',
      url: '/v1/components/a/b/c',
      headers: ctx.admin.headers
    })
    t.equal(res.statusCode, 404, method)
    t.notOk(res.headers.allow, method)
    if (method !== 'HEAD') t.match(res.json(), { status: 404, code: 'ROUTE_NOT_FOUND' }, method)
  }
})

t.test('405s are rate limited like 404s', async t => {
  const ctx = await buildTestApp(t, { rateLimitMax: 3 })
  const refuse = async () => await ctx.app.inject({ method: 'DELETE', url: '/v1/health-events' })
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await refuse()).statusCode)
  t.same(statuses, [405, 405, 405])
  const limited = await refuse()
  t.equal(limited.statusCode, 429, 'the fourth refusal within the window is limited')
  t.match(limited.json(), { status: 429, code: 'RATE_LIMITED' })
})
