// Rate limiting through the real app, with the in-process store and with Redis (several
// instances share one budget): health probes and metrics are never limited; callers with a
// token are counted as who they are, never by address; failed authentications have their own
// budget per address, spent before any token is verified; TRUST_PROXY decides whose address
// X-Forwarded-For names.
import t, { type Test } from 'tap'
import { randomInt, randomUUID } from 'node:crypto'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import type { Config } from '../../src/config.js'

// Database 6, and addresses and users drawn at random, so parallel runs never share a counter.
const REDIS_URL = 'redis://127.0.0.1:6379/6'
const randomAddress = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`
const event = { component_type: 'edge_function', component_name: 'orchestrate-flow', status: 'healthy' }

async function statuses(count: number, send: () => Promise<{ statusCode: number }>): Promise<number[]> {
  const seen: number[] = []
  for (let i = 0; i < count; i++) seen.push((await send()).statusCode)
  return seen
}

// A service token without a subject, unique to this run: tokens signed in the same second with
// the same claims are the same token, and so the same caller.
const serviceToken = async (ctx: TestApp, expiresIn = '1h'): Promise<string> =>
  `Bearer ${await ctx.token({ role: 'service_role', app_metadata: { organization_id: randomUUID() } }, expiresIn)}`

const ingest = (ctx: TestApp, remoteAddress: string, authorization: string) => async () =>
  await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events',
    remoteAddress,
    headers: { authorization },
    payload: event
  })

for (const store of ['memory', 'redis'] as const) {
  const build = async (t: Test, overrides: Partial<Config>): Promise<TestApp> =>
    await buildTestApp(t, { ...overrides, ...(store === 'redis' ? { redisUrl: REDIS_URL } : {}) })

  t.test(`${store}: a 404 flood from one address leaves probes, metrics and service ingestion untouched`, async t => {
    const ctx = await build(t, { rateLimitMax: 5 })
    const address = randomAddress()
    const flood = await statuses(
      7,
      async () => await ctx.app.inject({ url: `/not-here-${randomUUID()}`, remoteAddress: address })
    )
    t.same(flood, [404, 404, 404, 404, 404, 429, 429], 'anonymous requests count by address')
    for (const url of ['/readyz', '/healthz', '/metrics']) {
      t.same(
        new Set(await statuses(8, async () => await ctx.app.inject({ url, remoteAddress: address }))),
        new Set([200]),
        `${url} is never limited`
      )
    }
    const service = await serviceToken(ctx)
    t.same(
      await statuses(5, ingest(ctx, address, service)),
      [201, 201, 201, 201, 201],
      'the service role has its own budget, whatever its address'
    )
    t.equal(
      (await ingest(ctx, randomAddress(), service)()).statusCode,
      429,
      'and spends it from any address: it is counted by token'
    )
    t.equal(
      (await ingest(ctx, address, await serviceToken(ctx))()).statusCode,
      201,
      'another service token is another caller'
    )
  })

  t.test(`${store}: a bad-token flood gets 429 while a good service token still works`, async t => {
    const ctx = await build(t, { authFailureMax: 3 })
    const address = randomAddress()
    const service = await serviceToken(ctx)
    t.equal(
      (await ingest(ctx, address, service)()).statusCode,
      201,
      'the service calls from the address before the flood'
    )
    const bad = async (authorization?: string) =>
      await ctx.app.inject({
        url: '/v1/health-events',
        remoteAddress: address,
        headers: authorization === undefined ? {} : { authorization }
      })
    t.same(await statuses(3, async () => await bad(`Bearer not.a.${randomUUID()}`)), [401, 401, 401])
    const refused = await bad(await serviceToken(ctx, '-1m'))
    t.equal(refused.statusCode, 429, 'past RATE_LIMIT_AUTH_FAILURES the address gets 429 before its token is checked')
    t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')
    t.match(refused.json(), { type: 'urn:core314:problem:rate-limited', status: 429, detail: /failed authentications/ })
    t.equal((await bad()).statusCode, 429, 'a missing token too')

    t.same(
      await statuses(3, ingest(ctx, address, service)),
      [201, 201, 201],
      'the service token it verified recently still works from that address'
    )
    t.equal(
      (await ctx.app.inject({ url: '/v1/health-events', remoteAddress: address, headers: ctx.user.headers }))
        .statusCode,
      429,
      'a token this instance has not verified waits out the window like the flood'
    )
    t.equal(
      (
        await ctx.app.inject({
          url: '/v1/health-events',
          remoteAddress: randomAddress(),
          headers: { authorization: 'Bearer not.a.jwt' }
        })
      ).statusCode,
      401,
      'another address has its own budget'
    )
    t.equal((await ctx.app.inject({ url: '/readyz', remoteAddress: address })).statusCode, 200)
  })
}

t.test('redis: instances share the budgets, failed authentications included', async t => {
  const first = await buildTestApp(t, { rateLimitMax: 4, authFailureMax: 2, redisUrl: REDIS_URL })
  const second = await buildTestApp(t, { rateLimitMax: 4, authFailureMax: 2, redisUrl: REDIS_URL })
  const address = randomAddress()
  const missing = (ctx: TestApp) => async () =>
    await ctx.app.inject({ url: `/missing-${randomUUID()}`, remoteAddress: address })
  t.same([...(await statuses(2, missing(first))), ...(await statuses(3, missing(second)))], [404, 404, 404, 404, 429])

  const bad = (ctx: TestApp) => async () =>
    await ctx.app.inject({
      url: '/v1/anomalies',
      remoteAddress: address,
      headers: { authorization: 'Bearer bad.token.here' }
    })
  t.same(
    [...(await statuses(1, bad(first))), ...(await statuses(3, bad(second)))],
    [401, 401, 429, 429],
    'the second instance refuses once the shared count is spent'
  )
  t.same(await statuses(2, bad(first)), [401, 429], 'the first learns it from the shared count on its next failure')
})

t.test(
  'TRUST_PROXY: behind a trusted proxy, clients count by the forwarded address; otherwise the header is ignored',
  async t => {
    const proxied = await buildTestApp(t, { rateLimitMax: 2, trustProxy: 1 })
    const from = (ctx: TestApp, client: string) => async () =>
      await ctx.app.inject({ url: '/missing', remoteAddress: '192.0.2.10', headers: { 'x-forwarded-for': client } })
    const client = randomAddress()
    t.same(await statuses(3, from(proxied, client)), [404, 404, 429])
    t.same(
      await statuses(2, from(proxied, randomAddress())),
      [404, 404],
      'another client behind the same proxy has its own budget'
    )

    const direct = await buildTestApp(t, { rateLimitMax: 2 })
    const spoofed = await statuses(3, async () => await from(direct, randomAddress())())
    t.same(spoofed, [404, 404, 429], 'a forged X-Forwarded-For does not buy a fresh budget')

    const listed = await buildTestApp(t, { rateLimitMax: 1, trustProxy: ['192.0.2.0/24'] })
    t.same(
      [...(await statuses(1, from(listed, client))), ...(await statuses(1, from(listed, randomAddress())))],
      [404, 404],
      'a proxy in the listed CIDR is believed'
    )
  }
)

t.test('the OpenAPI document and Swagger UI count by address like the other public routes', async t => {
  const ctx = await buildTestApp(t, { rateLimitMax: 2 })
  for (const url of ['/openapi.json', '/docs', '/docs/static/index.html']) {
    const address = randomAddress()
    const first = await ctx.app.inject({ url, remoteAddress: address })
    t.equal(first.headers['x-ratelimit-limit'], '2', `${url} says the budget`)
    await ctx.app.inject({ url, remoteAddress: address })
    const limited = await ctx.app.inject({ url, remoteAddress: address })
    t.equal(limited.statusCode, 429, `${url} is refused past it`)
    t.match(limited.json(), { code: 'RATE_LIMITED' })
    t.not((await ctx.app.inject({ url, remoteAddress: randomAddress() })).statusCode, 429, 'another address is not')
  }
})

t.test('a 429 names the limit and its window, and apart from them the time left', async t => {
  const ctx = await buildTestApp(t, { rateLimitMax: 2, rateLimitWindow: '60 seconds' })
  const address = randomAddress()
  await statuses(2, async () => await ctx.app.inject({ url: '/missing', remoteAddress: address }))
  const limited = await ctx.app.inject({ url: '/missing', remoteAddress: address })
  t.equal(limited.statusCode, 429)
  const detail = (limited.json() as { detail: string }).detail
  t.match(detail, /^rate limit of 2 requests per 60 seconds exceeded; /, 'the window as configured, not the time left')
  t.equal(/resets in (\d+) s$/.exec(detail)?.[1], limited.headers['retry-after'], 'the time left is Retry-After')
})

// The router refuses these before any hook runs (Fastify's frameworkErrors), so the limit is
// applied by the refusal itself.
const MALFORMED = '/v1/anomalies/%ED%A0%80'
const TOO_LONG = `/v1/components/${'c'.repeat(201)}`

t.test("the router's refusals count against the address's budget, the one 404s spend", async t => {
  const ctx = await buildTestApp(t, { rateLimitMax: 3 })
  const address = randomAddress()
  const from =
    (url: string, remoteAddress = address) =>
    async () =>
      await ctx.app.inject({ url, remoteAddress })
  t.same(
    [...(await statuses(2, from(MALFORMED))), ...(await statuses(1, from(TOO_LONG)))],
    [400, 400, 414],
    'a malformed path and an over-long segment are refused as before'
  )
  for (const url of [MALFORMED, TOO_LONG, '/missing']) {
    const limited = await from(url)()
    t.equal(limited.statusCode, 429, `${url.slice(0, 30)} is limited past the budget`)
    t.match(limited.headers['content-type'], /^application\/problem\+json/)
    t.match(limited.json(), { status: 429, code: 'RATE_LIMITED' })
    t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
    t.match(limited.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  }
  t.equal((await from(MALFORMED, randomAddress())()).statusCode, 400, 'another address has its own budget')
})

t.test("TRUST_PROXY: the router's refusals count by the forwarded address, as other requests do", async t => {
  const proxied = await buildTestApp(t, { rateLimitMax: 2, trustProxy: 1 })
  const from = (client: string) => async () =>
    await proxied.app.inject({ url: MALFORMED, remoteAddress: '192.0.2.10', headers: { 'x-forwarded-for': client } })
  t.same(await statuses(3, from(randomAddress())), [400, 400, 429])
  t.same(
    await statuses(2, from(randomAddress())),
    [400, 400],
    'another client behind the same proxy has its own budget'
  )
})
