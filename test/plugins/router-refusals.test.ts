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
