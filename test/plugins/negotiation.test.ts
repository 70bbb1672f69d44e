// Accept is honoured: a route answers 406 as problem+json when the request's Accept admits none
// of the media types its success answers come in, and answers as before whenever it admits one
// (wildcards, weights, no Accept at all). Routes that declare no response type (the console,
// Swagger UI, /metrics) and the event stream keep answering their own types; a 406 is counted
// by the rate limit like any refusal.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('a JSON route answers 406 only when Accept excludes application/json', async t => {
  const ctx = await buildTestApp(t)
  const get = async (accept?: string) =>
    await ctx.app.inject({
      url: '/v1/components',
      headers: { ...ctx.user.headers, ...(accept === undefined ? {} : { accept }) }
    })
  for (const accept of [
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'application/*',
    '*/*',
    'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'application/problem+json, application/json',
    'not a media range'
  ]) {
    const res = await get(accept)
    t.equal(res.statusCode, 200, `Accept: ${accept ?? '(none)'}`)
    t.match(res.headers['content-type'], /^application\/json/)
  }
  for (const accept of [
    'text/html',
    'application/xml, text/*',
    'application/json;q=0, text/html',
    '*/*;q=0',
    'application/problem+json'
  ]) {
    const res = await get(accept)
    t.equal(res.statusCode, 406, `Accept: ${accept}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/, accept)
    t.match(res.json(), { status: 406, code: 'NOT_ACCEPTABLE', title: 'Not Acceptable', detail: /application\/json/ })
    t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  }
  t.equal(
    (await ctx.app.inject({ url: '/v1/components', headers: { accept: 'text/html' } })).statusCode,
    401,
    'authentication is decided first'
  )
})

t.test('routes of other types answer as before: the console, Swagger UI, /metrics, OTLP', async t => {
  const ctx = await buildTestApp(t)
  const html = 'text/html,application/xhtml+xml'
  for (const [url, accept] of [
    ['/console', html],
    ['/docs', html],
    ['/metrics', 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'],
    ['/metrics', 'text/plain']
  ] as const) {
    const res = await ctx.app.inject({ url, headers: { accept } })
    t.not(res.statusCode, 406, `${url} with Accept: ${accept}`)
    t.ok(res.statusCode < 500 || res.json().code === 'CONSOLE_NOT_BUILT', `${url}: ${res.statusCode}`)
  }
  const otlp = await ctx.app.inject({
    method: 'POST',
    url: '/otlp/v1/metrics',
    headers: { ...ctx.service.headers, 'content-type': 'application/json', accept: 'application/x-protobuf' },
    payload: { resourceMetrics: [] }
  })
  t.not(otlp.statusCode, 406, 'OTLP answers protobuf too')
})

t.test('the event stream is negotiated as text/event-stream', async t => {
  const ctx = await buildTestApp(t)
  const json = await ctx.app.inject({ url: '/v1/stream', headers: { ...ctx.user.headers, accept: 'application/json' } })
  t.equal(json.statusCode, 406)
  t.match(json.json(), { code: 'NOT_ACCEPTABLE', detail: /text\/event-stream/ })
  const url = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const abort = new AbortController()
  const stream = await fetch(`${url}/v1/stream`, {
    headers: { ...ctx.user.headers, accept: 'text/event-stream' },
    signal: abort.signal
  })
  t.equal(stream.status, 200, 'what EventSource sends is served')
  t.match(stream.headers.get('content-type'), /^text\/event-stream/)
  abort.abort()
})

t.test('406s are rate limited like other refusals', async t => {
  const ctx = await buildTestApp(t, { rateLimitMax: 2 })
  const refuse = async () =>
    (await ctx.app.inject({ url: '/v1/components', headers: { ...ctx.user.headers, accept: 'text/html' } })).statusCode
  t.same([await refuse(), await refuse(), await refuse()], [406, 406, 429])
})
