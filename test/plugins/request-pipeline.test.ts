// The request pipeline the routes share: authentication (401/403), validation problems naming
// each field, problem+json for unexpected throws without internals, and the 429 path.
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { SignJWT } from 'jose'
import { Type } from 'typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import metrics from '../../src/plugins/metrics.js'
import schemaCompilers from '../../src/plugins/schema-compilers.js'
import auth from '../../src/plugins/auth.js'
import rateLimit from '../../src/plugins/rate-limit.js'
import errors from '../../src/plugins/errors.js'
import { sharedSchemas } from '../../src/schemas/index.js'
import { signToken } from '../../src/services/auth/tokens.js'
import { TEST_JWT_SECRET } from '../helpers/app.js'

const USER = '11111111-1111-4111-8111-111111111111'

async function pipeline(t: Test, max = 1000, authFailureMax = 1000) {
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(metrics)
  await app.register(schemaCompilers, { schemas: sharedSchemas })
  await app.register(rateLimit, {
    max,
    timeWindow: '1 minute',
    authFailureMax,
    clientAddress: request => request.socket.remoteAddress ?? ''
  })
  await app.register(auth, { jwtSecret: TEST_JWT_SECRET })
  await app.register(errors)
  app.post(
    '/admin-only',
    {
      config: { allow: ['admin', 'service'] },
      schema: {
        body: Type.Object(
          { name: Type.String({ minLength: 1 }), count: Type.Integer({ minimum: 0 }) },
          { additionalProperties: false }
        )
      }
    },
    async request => ({ who: request.identity?.kind, body: request.body })
  )
  app.get('/anyone', { config: { allow: ['user', 'admin', 'service'] } }, async request => ({
    who: request.identity?.kind
  }))
  app.get('/boom', async () => {
    throw new Error('secret connection string postgres://u:p@db/x')
  })
  await app.ready()
  t.teardown(() => app.close())
  return app
}

const user = async (expiresIn = '1h'): Promise<string> =>
  await signToken(TEST_JWT_SECRET, { sub: USER, role: 'authenticated' }, expiresIn)
const admin = async (): Promise<string> =>
  await signToken(TEST_JWT_SECRET, { sub: USER, role: 'authenticated', app_metadata: { role: 'admin' } })

t.test('a missing, malformed, wrongly signed or expired token is 401 problem+json', async t => {
  const app = await pipeline(t)
  const expired = await signToken(TEST_JWT_SECRET, { sub: USER, role: 'authenticated' }, '-1m')
  const wrongKey = await signToken('another-secret-that-is-long-enough-to-sign', { sub: USER, role: 'authenticated' })
  const cases: Array<[string, string | undefined]> = [
    ['missing', undefined],
    ['not bearer', 'Basic dXNlcjpwYXNz'],
    ['malformed', 'Bearer not.a.jwt'],
    ['wrongly signed', `Bearer ${wrongKey}`],
    ['expired', `Bearer ${expired}`],
    [
      'no exp',
      `Bearer ${await new SignJWT({ sub: USER, role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(TEST_JWT_SECRET))}`
    ],
    ['no usable role', `Bearer ${await signToken(TEST_JWT_SECRET, { role: 'anon' as 'authenticated' })}`]
  ]
  for (const [name, header] of cases) {
    const res = await app.inject({
      method: 'GET',
      url: '/anyone',
      headers: header === undefined ? {} : { authorization: header }
    })
    t.equal(res.statusCode, 401, name)
    t.match(res.headers['content-type'], /^application\/problem\+json/, name)
    t.match(
      res.json(),
      { type: 'urn:core314:problem:unauthorized', status: 401, title: 'Unauthorized', detail: String },
      name
    )
    // RFC 6750 §3: no error code when no bearer token was sent.
    const tokenSent = header?.startsWith('Bearer ') === true
    t.equal(
      res.headers['www-authenticate'],
      tokenSent ? 'Bearer realm="core314", error="invalid_token"' : 'Bearer realm="core314"',
      `${name}: the bearer challenge RFC 9110 requires on a 401`
    )
  }
  const ok = await app.inject({ method: 'GET', url: '/anyone', headers: { authorization: `Bearer ${await user()}` } })
  t.same(ok.json(), { who: 'user' })
})

t.test('a role the route does not admit is 403; admins and the service role pass', async t => {
  const app = await pipeline(t)
  const body = { name: 'x', count: 1 }
  const refused = await app.inject({
    method: 'POST',
    url: '/admin-only',
    headers: { authorization: `Bearer ${await user()}` },
    payload: body
  })
  t.equal(refused.statusCode, 403)
  t.match(refused.json(), { type: 'urn:core314:problem:forbidden', status: 403 })
  const byAdmin = await app.inject({
    method: 'POST',
    url: '/admin-only',
    headers: { authorization: `Bearer ${await admin()}` },
    payload: body
  })
  t.same(byAdmin.json(), { who: 'admin', body })
  const service = await signToken(TEST_JWT_SECRET, { role: 'service_role' })
  const byService = await app.inject({
    method: 'POST',
    url: '/admin-only',
    headers: { authorization: `Bearer ${service}` },
    payload: body
  })
  t.same(byService.json(), { who: 'service', body })
})

t.test('validation errors are 400 problem+json naming every offending field', async t => {
  const app = await pipeline(t)
  const res = await app.inject({
    method: 'POST',
    url: '/admin-only',
    headers: { authorization: `Bearer ${await admin()}` },
    payload: { count: '3', extra: true }
  })
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  const problem = res.json()
  t.equal(problem.type, 'urn:core314:problem:validation')
  t.same(problem.errors.map((e: { path: string }) => e.path).sort(), ['/body/count', '/body/extra', '/body/name'])
  t.match(problem.detail, /\/body\/name/)
})

t.test('malformed JSON is a 400 problem, not a 500', async t => {
  const app = await pipeline(t)
  const res = await app.inject({
    method: 'POST',
    url: '/admin-only',
    headers: { authorization: `Bearer ${await admin()}`, 'content-type': 'application/json' },
    payload: '{"name": "x",'
  })
  t.equal(res.statusCode, 400)
  t.match(res.json(), { status: 400, title: 'Bad Request' })
})

t.test('an unexpected throw is a 500 problem that reveals nothing', async t => {
  const app = await pipeline(t)
  const res = await app.inject({ method: 'GET', url: '/boom' })
  t.equal(res.statusCode, 500)
  t.same(res.json(), {
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    code: 'INTERNAL_ERROR',
    detail: 'Internal Server Error'
  })
  t.notMatch(res.body, /postgres|secret/)
})

t.test('past the limit a caller gets 429 with Retry-After, and 404s are limited too', async t => {
  const app = await pipeline(t, 2)
  const headers = { authorization: `Bearer ${await user()}` }
  t.equal((await app.inject({ method: 'GET', url: '/anyone', headers })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/anyone', headers })).statusCode, 200)
  const limited = await app.inject({ method: 'GET', url: '/anyone', headers })
  t.equal(limited.statusCode, 429)
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After in seconds')
  t.match(limited.json(), {
    type: 'urn:core314:problem:rate-limited',
    status: 429,
    title: 'Too Many Requests',
    code: 'RATE_LIMITED'
  })

  const other = await signToken(TEST_JWT_SECRET, { sub: '22222222-2222-4222-8222-222222222222', role: 'authenticated' })
  t.equal(
    (await app.inject({ method: 'GET', url: '/anyone', headers: { authorization: `Bearer ${other}` } })).statusCode,
    200,
    'another user has their own budget'
  )

  const statuses = []
  for (let i = 0; i < 3; i++)
    statuses.push((await app.inject({ method: 'GET', url: '/missing', remoteAddress: '10.9.9.9' })).statusCode)
  t.same(statuses, [404, 404, 429])
})

t.test('a remembered token still stops working when it expires', async t => {
  const app = await pipeline(t)
  const token = await signToken(TEST_JWT_SECRET, { sub: USER, role: 'authenticated' }, '2s')
  const headers = { authorization: `Bearer ${token}` }
  t.equal((await app.inject({ method: 'GET', url: '/anyone', headers })).statusCode, 200)
  t.equal(
    (await app.inject({ method: 'GET', url: '/anyone', headers })).statusCode,
    200,
    'served from the verified cache'
  )
  await new Promise(resolve => setTimeout(resolve, 2100))
  t.equal((await app.inject({ method: 'GET', url: '/anyone', headers })).statusCode, 401)
})
