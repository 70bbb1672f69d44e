// What the service answers is what the document declares, as a validating proxy checks it: the
// status is one the operation lists, every header beyond HTTP's own is declared on that
// response, and the body matches the response's schema. The refusals come from plugins, not
// routes (auth, body limit, content-type parsers, Accept, router), so a route's schema never
// names them.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { get, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { OPENAPI_FILE } from '../../src/openapi-document.js'
import { buildTestApp, createIngestKey } from '../helpers/app.js'

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

// Framing and representation headers every HTTP response may carry.
const HTTP_HEADERS = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding'
])

interface Answer {
  statusCode: number
  headers: Record<string, unknown>
  body: string
}

interface Operation {
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, unknown> }>
}

const escape = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1')

async function conformance(): Promise<(method: string, path: string, answer: Answer) => string[]> {
  const document = JSON.parse(await readFile(OPENAPI_FILE, 'utf8'))
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema(document, 'openapi.json')
  return (method, path, answer) => {
    const operation = document.paths[path]?.[method] as Operation | undefined
    if (operation === undefined) return [`${method} ${path} is not in the document`]
    const status = String(answer.statusCode)
    const response = operation.responses[status]
    if (response === undefined) return [`${method} ${path} answered ${status}, which the operation does not declare`]
    const declared = new Set(Object.keys(response.headers ?? {}).map(name => name.toLowerCase()))
    const mismatches = Object.keys(answer.headers)
      .filter(name => !HTTP_HEADERS.has(name) && !declared.has(name))
      .map(name => `${method} ${path} ${status}: header ${name} is not declared`)
    const mediaType = String(answer.headers['content-type'] ?? '').split(';')[0] ?? ''
    if (response.content?.[mediaType] === undefined)
      return [...mismatches, `${method} ${path} ${status}: content type ${mediaType} is not declared`]
    const schema = `openapi.json#/paths/${escape(path)}/${method}/responses/${status}/content/${escape(mediaType)}/schema`
    const validate = mediaType.endsWith('json') ? ajv.getSchema(schema) : undefined
    if (validate !== undefined && !validate(JSON.parse(answer.body)))
      mismatches.push(`${method} ${path} ${status}: body ${ajv.errorsText(validate.errors)}`)
    return mismatches
  }
}

t.test('the refusals of the auth, body and routing plugins are declared on every operation they reach', async t => {
  const ctx = await buildTestApp(t)
  const check = await conformance()
  const key = await createIngestKey(ctx, 'collector')

  const ingestKeyOnTokenRoute = await ctx.app.inject({
    url: '/v1/anomalies',
    headers: { authorization: `Bearer ${key}` }
  })
  t.equal(ingestKeyOnTokenRoute.json().code, 'INGEST_KEY_NOT_ALLOWED')
  t.same(check('get', '/v1/anomalies', ingestKeyOnTokenRoute), [])

  const xml = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies',
    headers: { ...ctx.service.headers, 'content-type': 'application/xml' },
    payload: '<anomaly/>'
  })
  t.equal(xml.json().code, 'UNSUPPORTED_MEDIA_TYPE')
  t.same(check('post', '/v1/anomalies', xml), [])

  // fetch() labels a string body text/plain unless told otherwise: the type is what is wrong.
  const unlabelled = await ctx.app.inject({
    method: 'POST',
    url: '/v1/channels',
    headers: { ...ctx.admin.headers, 'content-type': 'text/plain;charset=UTF-8' },
    payload: JSON.stringify({ name: 'on-call', kind: 'slack', webhook_url: 'https://hooks.example.com/x' })
  })
  t.equal(unlabelled.json().code, 'UNSUPPORTED_MEDIA_TYPE')
  t.same(check('post', '/v1/channels', unlabelled), [])
  t.same((await ctx.app.inject({ url: '/v1/channels', headers: ctx.admin.headers })).json(), [], 'nothing stored')

  const large = await ctx.app.inject({
    method: 'POST',
    url: '/v1/channels',
    headers: { ...ctx.admin.headers, 'content-type': 'application/json' },
    payload: JSON.stringify({ name: 'x'.repeat(5 * 1024 * 1024), kind: 'slack' })
  })
  t.equal(large.json().code, 'BODY_TOO_LARGE')
  t.same(check('post', '/v1/channels', large), [])

  const html = await ctx.app.inject({ url: '/v1/components', headers: { ...ctx.admin.headers, accept: 'text/html' } })
  t.equal(html.json().code, 'NOT_ACCEPTABLE')
  t.same(check('get', '/v1/components', html), [])

  const long = await ctx.app.inject({ url: `/v1/components/${'c'.repeat(300)}`, headers: ctx.admin.headers })
  t.equal(long.json().code, 'PATH_SEGMENT_TOO_LONG')
  t.same(check('get', '/v1/components/{component_name}', long), [])

  const brotli = await ctx.app.inject({
    method: 'POST',
    url: '/otlp/v1/metrics',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-protobuf', 'content-encoding': 'br' },
    payload: Buffer.from([0x0b])
  })
  t.equal(brotli.json().code, 'UNSUPPORTED_ENCODING')
  t.same(check('post', '/otlp/v1/metrics', brotli), [])
})

t.test('the headers the plugins add (request id, rate limit, idempotent replay) are declared', async t => {
  const ctx = await buildTestApp(t)
  const check = await conformance()

  const list = await ctx.app.inject({ url: '/v1/anomalies?limit=1', headers: ctx.admin.headers })
  t.equal(list.statusCode, 200)
  t.ok(list.headers['x-ratelimit-remaining'], 'the rate limit counts this request')
  t.same(check('get', '/v1/anomalies', list), [])

  const silence = {
    matchers: [{ name: 'component_name', value: 'checkout' }],
    ends_at: new Date(Date.now() + 3_600_000).toISOString(),
    comment: 'maintenance'
  }
  for (const attempt of ['first', 'replay']) {
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/silences',
      headers: { ...ctx.admin.headers, 'idempotency-key': 'conformance-silence' },
      payload: silence
    })
    t.equal(created.statusCode, 201, attempt)
    t.equal(created.headers['idempotent-replayed'], String(attempt === 'replay'))
    t.same(check('post', '/v1/silences', created), [], attempt)
  }

  const liveness = await ctx.app.inject({ url: '/healthz' })
  t.same(check('get', '/healthz', liveness), [])
})

t.test('the event stream, written past the serializer, declares its headers too', async t => {
  const ctx = await buildTestApp(t)
  const check = await conformance()
  await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const address = ctx.app.server.address() as AddressInfo
  // The stream never ends by itself: read the head, then drop the connection.
  const head = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = get(`http://127.0.0.1:${address.port}/v1/stream`, { headers: ctx.user.headers }, response => {
      resolve(response)
      request.destroy()
    })
    request.on('error', reject)
  })
  t.equal(head.statusCode, 200)
  const headers = Object.fromEntries(Object.entries(head.headers).filter(([name]) => name !== 'keep-alive'))
  t.same(check('get', '/v1/stream', { statusCode: 200, headers, body: '' }), [])
})
