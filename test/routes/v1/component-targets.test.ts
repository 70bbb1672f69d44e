// PUT /v1/components/{name} under the target policy: refused hosts in every spelling, credentials
// in webhook URLs, prefixes without a delimiter and the service's own database are 400s naming
// the field; webhook secrets are generated when missing, returned once, stored sealed, and a
// changed webhook URL needs a new one. Passwords in shown URLs are masked.
import type { LightMyRequestResponse as InjectResponse } from 'fastify'
import t, { type Test } from 'tap'
import { unseal, secretsKey } from '../../../src/services/secrets.js'
import { buildTestApp, TEST_SECRETS_KEY, testConfig, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { REFUSED_SPELLINGS } from '../../helpers/refused-hosts.js'

const SECRET = 'whsec_Y29tcG9uZW50LXRhcmdldHMtdGVzdC1zZWNyZXQ='

async function put(ctx: TestApp, name: string, body: Record<string, unknown>): Promise<InjectResponse> {
  return await ctx.app.inject({
    method: 'PUT',
    url: `/v1/components/${name}`,
    headers: ctx.admin.headers,
    payload: { component_type: 'service', ...body }
  })
}

async function strictApp(t: Test, healing: Partial<TestApp['config']['healing']> = {}): Promise<TestApp> {
  return await buildTestApp(t, { healing: { ...testConfig().healing, allowedTargets: [], ...healing } })
}

t.test('a refused address in any spelling is a 400 naming the field, for webhooks, Redis and databases', async t => {
  const ctx = await strictApp(t)
  for (const [spelling, range] of REFUSED_SPELLINGS) {
    const webhook = await put(ctx, 'a', { webhook_url: `http://${spelling}:8080/control`, webhook_secret: SECRET })
    t.equal(webhook.statusCode, 400, spelling)
    t.match(webhook.json().errors, [{ path: '/body/webhook_url', message: new RegExp(`${range} address`) }], spelling)
    const redis = await put(ctx, 'a', { redis_url: `redis://${spelling}:6379/0`, key_prefix: 'cache:' })
    t.match(redis.json().errors, [{ path: '/body/redis_url' }], `redis ${spelling}`)
    const database = await put(ctx, 'a', {
      database_url: `postgres://app@${spelling}:5432/app`,
      application_name: 'app'
    })
    t.match(database.json().errors, [{ path: '/body/database_url' }], `database ${spelling}`)
  }
  const multiHost = await put(ctx, 'a', {
    database_url: 'postgres://app:pw@db1.example.com:5432,10.0.0.7:5433/app',
    application_name: 'app'
  })
  t.match(
    multiHost.json().errors,
    [{ path: '/body/database_url', message: /private address/ }],
    'each host of a multi-host URL is checked'
  )
  t.same(await ownerSql(t, ctx.databaseUrl)`select component_name from components`, [], 'nothing was stored')
})

t.test('a URL the schema takes but its client cannot parse is a 400 naming the field, not a 500', async t => {
  const ctx = await buildTestApp(t)
  // Each passes the body schema for at least one field: RFC 3986 allows these hosts (the "uri"
  // format, the scheme patterns), the WHATWG URL parser the clients use does not.
  const hosts = ['exa%20mple.com', 'a%2509', '127.0.0.1%2509', '[::1%25lo]', '[fe80::1%25lo]:6379', '%5B::1%5D']
  const bodies = (host: string): Array<[string, Record<string, unknown>]> => [
    ['webhook_url', { webhook_url: `http://${host}/hook`, webhook_secret: SECRET }],
    ['redis_url', { redis_url: `redis://${host}/0`, key_prefix: 'cache:' }],
    ['database_url', { database_url: `postgres://app@${host}/app`, application_name: 'app' }]
  ]
  // postgres.js percent-decodes the host list, and throws on a bad escape.
  const undecodable: [string, Record<string, unknown>] = [
    'database_url',
    { database_url: 'postgres://app@%zz/app', application_name: 'app' }
  ]
  for (const [field, body] of [...hosts.flatMap(bodies), undecodable]) {
    const label = `${field} ${String(Object.values(body)[0])}`
    const res = await put(ctx, 'a', body)
    t.equal(res.statusCode, 400, label)
    t.match(res.headers['content-type'], /application\/problem\+json/, label)
    t.match(res.json().errors, [{ path: `/body/${field}` }], label)
  }
  t.same(await ownerSql(t, ctx.databaseUrl)`select component_name from components`, [], 'nothing was stored')

  // It takes the database name as written, undecoded: a database called "%zz" is a name like any other.
  const literal = await put(ctx, 'a', { database_url: 'postgres://app@db.example.com/%zz', application_name: 'app' })
  t.equal(literal.statusCode, 200, 'a bad escape in the database name')
})

t.test('public hosts and names pass registration; HEAL_ALLOWED_TARGETS admits listed hosts and ranges', async t => {
  const strict = await strictApp(t)
  t.equal(
    (await put(strict, 'public', { webhook_url: 'https://93.184.215.14/control', webhook_secret: SECRET })).statusCode,
    200
  )
  t.equal(
    (await put(strict, 'named', { webhook_url: 'http://localhost:8080/control', webhook_secret: SECRET })).statusCode,
    200,
    'a name is judged when it is resolved, at connection time'
  )

  const allowing = await strictApp(t, { allowedTargets: ['127.0.0.1', '10.0.0.0/8'] })
  t.equal(
    (await put(allowing, 'hex-loopback', { webhook_url: 'http://0x7f.1:8080/control', webhook_secret: SECRET }))
      .statusCode,
    200
  )
  t.equal(
    (await put(allowing, 'private-redis', { redis_url: 'redis://10.3.0.9:6379', key_prefix: 'cache:' })).statusCode,
    200
  )
  t.equal(
    (await put(allowing, 'other-private', { redis_url: 'redis://192.168.1.9:6379', key_prefix: 'cache:' })).statusCode,
    400
  )
})

t.test('credentials in webhook URLs are refused: sign with the secret instead', async t => {
  const ctx = await buildTestApp(t)
  for (const url of [
    'https://ops:hunter2@control.example.com/x',
    'https://token@control.example.com/x',
    'https://control.example.com/x?token=abc',
    'https://control.example.com/x?api_key=abc',
    'https://control.example.com/x?region=eu&access_token=abc'
  ]) {
    const res = await put(ctx, 'a', { webhook_url: url, webhook_secret: SECRET })
    t.equal(res.statusCode, 400, url)
    t.match(res.json().errors, [{ path: '/body/webhook_url', message: /credentials/ }], url)
  }
  t.equal(
    (await put(ctx, 'a', { webhook_url: 'https://control.example.com/x?region=eu', webhook_secret: SECRET }))
      .statusCode,
    200
  )
})

t.test('a Redis key prefix must end with a delimiter', async t => {
  const ctx = await buildTestApp(t)
  const bare = await put(ctx, 'a', { redis_url: 'redis://cache.example.com:6379', key_prefix: 'cache' })
  t.equal(bare.statusCode, 400)
  t.match(bare.json().errors, [{ path: '/body/key_prefix', message: /delimiter/ }])
  for (const prefix of ['cache:', 'tenant/7/', 'app.'])
    t.equal(
      (await put(ctx, 'a', { redis_url: 'redis://cache.example.com:6379', key_prefix: prefix })).statusCode,
      200,
      prefix
    )
})

t.test(
  "reset_connection may not name the service's own application or database unless HEAL_ALLOW_SELF_RESET",
  async t => {
    const ctx = await buildTestApp(t)
    const own = await put(ctx, 'a', { database_url: ctx.databaseUrl, application_name: 'reports' })
    t.match(own.json().errors, [{ path: '/body/database_url', message: /own database/ }])
    const ownName = await put(ctx, 'a', {
      database_url: 'postgres://app@db.example.com/app',
      application_name: 'core314-self-healing'
    })
    t.match(ownName.json().errors, [{ path: '/body/application_name', message: /own application names/ }])

    const allowed = await buildTestApp(t, { healing: { ...testConfig().healing, allowSelfReset: true } })
    t.equal(
      (await put(allowed, 'a', { database_url: allowed.databaseUrl, application_name: 'reports' })).statusCode,
      200
    )
  }
)

t.test('a webhook registered without a secret gets one, returned in that answer only and stored sealed', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const first = await put(ctx, 'api', { webhook_url: 'https://control.example.com/api' })
  t.equal(first.statusCode, 200)
  const generated = first.json().webhook_secret as string
  t.match(generated, /^whsec_[A-Za-z0-9+/]{43}=$/, 'a Standard Webhooks secret of 32 bytes')

  const [stored] = await sql<
    Array<{ webhook_secret: string }>
  >`select webhook_secret from components where component_name = 'api'`
  t.match(stored?.webhook_secret, /^sealed:v1:/)
  t.notOk(stored?.webhook_secret.includes(generated.slice('whsec_'.length)), 'the column does not hold the secret')
  t.equal(unseal(stored?.webhook_secret ?? '', secretsKey(TEST_SECRETS_KEY)), generated, 'SECRETS_KEY opens it')

  t.notMatch((await ctx.app.inject({ url: '/v1/components/api', headers: ctx.admin.headers })).body, /whsec_|sealed:/)
  const again = await put(ctx, 'api', { webhook_url: 'https://control.example.com/api', description: 'same URL' })
  t.equal(again.statusCode, 200)
  t.equal(again.json().webhook_secret, undefined, 'the same URL keeps the secret, and it is not shown again')
  const [kept] = await sql<
    Array<{ webhook_secret: string }>
  >`select webhook_secret from components where component_name = 'api'`
  t.equal(kept?.webhook_secret, stored?.webhook_secret)

  const given = await put(ctx, 'given', { webhook_url: 'https://control.example.com/given', webhook_secret: SECRET })
  t.equal(given.json().webhook_secret, undefined, 'a secret the caller chose is never echoed')
  await t.rejects(
    sql`insert into components (component_name, component_type, webhook_url, webhook_secret) values ('plain', 'service', 'https://c.example.com', ${SECRET})`,
    /components_webhook_secret_sealed/,
    'the database refuses a plain secret'
  )
})

t.test('changing a webhook URL without a new secret is refused; with one it is accepted', async t => {
  const ctx = await buildTestApp(t)
  t.equal(
    (await put(ctx, 'api', { webhook_url: 'https://control.example.com/api', webhook_secret: SECRET })).statusCode,
    200
  )
  const moved = await put(ctx, 'api', { webhook_url: 'https://elsewhere.example.com/api' })
  t.equal(moved.statusCode, 409)
  t.match(moved.json().detail, /new webhook_secret/)
  const [row] = await ownerSql(t, ctx.databaseUrl)`select webhook_url from components where component_name = 'api'`
  t.equal(row?.webhook_url, 'https://control.example.com/api', 'nothing changed')
  t.equal(
    (
      await put(ctx, 'api', {
        webhook_url: 'https://elsewhere.example.com/api',
        webhook_secret: 'whsec_bmV3LXNlY3JldC1mb3ItdGhlLW5ldy1lbmRwb2ludA=='
      })
    ).statusCode,
    200
  )
})

t.test('passwords in shown URLs are masked: user info, multi-host PostgreSQL URLs and ?password=', async t => {
  const ctx = await buildTestApp(t)
  const res = await put(ctx, 'db', {
    database_url:
      'postgres://app:hunter2pw@db1.example.com:5432,db2.example.com:5433/app?sslmode=require&password=hunter3pw',
    application_name: 'app',
    redis_url: 'redis://:hunter4pw@cache.example.com:6379/2',
    key_prefix: 'app:'
  })
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    database_url: 'postgres://app:***@db1.example.com:5432,db2.example.com:5433/app?sslmode=require&password=***',
    redis_url: 'redis://:***@cache.example.com:6379/2'
  })
  for (const shown of [
    res.body,
    (await ctx.app.inject({ url: '/v1/components/db', headers: ctx.user.headers })).body,
    (await ctx.app.inject({ url: '/v1/components', headers: ctx.user.headers })).body
  ]) {
    t.notMatch(shown, /hunter\dpw/)
  }
})
