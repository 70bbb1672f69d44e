// /v1/ingest-keys: shown once, stored hashed, listed without the secret, revocable, last use
// kept; a key acts only for its own organization and only on the integration endpoints.
import { createHash, randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, tokensFor } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

const firing = (service: string) => ({
  version: '4',
  status: 'firing',
  receiver: 'core314',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'HighErrorRate', service, severity: 'warning', organization_id: randomUUID() },
      startsAt: '2026-12-05T10:00:00Z',
      fingerprint: `fp-${service}`
    }
  ]
})

t.test('an admin creates a key once, lists it without the secret, and the key authenticates until revoked', async t => {
  const ctx = await buildTestApp(t)
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/v1/ingest-keys',
    headers: ctx.admin.headers,
    payload: { name: 'prod alertmanager' }
  })
  t.equal(created.statusCode, 201)
  const key = created.json()
  t.match(key, {
    name: 'prod alertmanager',
    organization_id: ctx.admin.organizationId,
    created_by: ctx.admin.id,
    last_used_at: null,
    revoked_at: null
  })
  t.match(key.key, /^c314_[A-Za-z0-9_-]{43}$/)
  t.equal(key.key_prefix, key.key.slice(0, 13))

  const sql = ownerSql(t, ctx.databaseUrl)
  const [stored] = await sql`select key_hash from ingest_keys where id = ${key.id}`
  t.same(stored?.key_hash, createHash('sha256').update(key.key).digest(), 'stored as its SHA-256')
  const everything = JSON.stringify(await sql`select * from ingest_keys`)
  t.notOk(everything.includes(key.key), 'the key itself is stored nowhere')

  const list = await ctx.app.inject({ url: '/v1/ingest-keys', headers: ctx.admin.headers })
  t.equal(list.statusCode, 200)
  t.equal(list.json().length, 1)
  t.notOk(list.body.includes(key.key), 'lists never show the key')

  const used = await ctx.app.inject({
    method: 'POST',
    url: '/v1/integrations/alertmanager',
    headers: { authorization: `Bearer ${key.key}` },
    payload: firing('checkout')
  })
  t.equal(used.statusCode, 200)
  const [signal] = await sql`select organization_id from anomaly_signals`
  t.equal(signal?.organization_id, ctx.admin.organizationId, 'the organization comes from the key, not the payload')
  t.not(
    (await ctx.app.inject({ url: '/v1/ingest-keys', headers: ctx.admin.headers })).json()[0].last_used_at,
    null,
    'last use kept'
  )

  const revoked = await ctx.app.inject({
    method: 'DELETE',
    url: `/v1/ingest-keys/${key.id as string}`,
    headers: ctx.admin.headers
  })
  t.equal(revoked.statusCode, 200)
  t.not(revoked.json().revoked_at, null)
  const refused = await ctx.app.inject({
    method: 'POST',
    url: '/v1/integrations/alertmanager',
    headers: { authorization: `Bearer ${key.key}` },
    payload: firing('checkout')
  })
  t.equal(refused.statusCode, 401)
  t.match(refused.json().detail, /unknown or revoked/)
  t.equal(
    refused.headers['www-authenticate'],
    'Bearer realm="core314", error="invalid_token"',
    'an ingest key is a bearer token'
  )
})

t.test('keys are managed per organization: another organization neither sees nor revokes them', async t => {
  const ctx = await buildTestApp(t)
  const other = await tokensFor(randomUUID())
  const key = (
    await ctx.app.inject({ method: 'POST', url: '/v1/ingest-keys', headers: ctx.admin.headers, payload: { name: 'a' } })
  ).json()
  t.same((await ctx.app.inject({ url: '/v1/ingest-keys', headers: other.admin.headers })).json(), [])
  t.equal(
    (
      await ctx.app.inject({
        method: 'DELETE',
        url: `/v1/ingest-keys/${key.id as string}`,
        headers: other.admin.headers
      })
    ).statusCode,
    404
  )
  t.equal(
    (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/ingest-keys',
        headers: other.admin.headers,
        payload: { name: 'b', organization_id: ctx.admin.organizationId }
      })
    ).statusCode,
    403,
    'an admin cannot create a key for another organization'
  )
  t.equal(
    (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/ingest-keys',
        headers: ctx.user.headers,
        payload: { name: 'c' }
      })
    ).statusCode,
    403,
    'users may not'
  )
})

t.test('the service role names the organization; without one it is told which field is missing', async t => {
  const ctx = await buildTestApp(t)
  const organizationId = randomUUID()
  const missing = await ctx.app.inject({
    method: 'POST',
    url: '/v1/ingest-keys',
    headers: ctx.service.headers,
    payload: { name: 'x' }
  })
  t.equal(missing.statusCode, 400)
  t.match(missing.json().errors, [{ path: '/body/organization_id' }])
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/v1/ingest-keys',
    headers: ctx.service.headers,
    payload: { name: 'x', organization_id: organizationId }
  })
  t.equal(created.statusCode, 201)
  t.equal(created.json().organization_id, organizationId)
  t.equal(
    (
      await ctx.app.inject({ url: `/v1/ingest-keys?organization_id=${organizationId}`, headers: ctx.service.headers })
    ).json().length,
    1
  )
  const bad = await ctx.app.inject({
    method: 'POST',
    url: '/v1/ingest-keys',
    headers: ctx.service.headers,
    payload: { name: '' }
  })
  t.match(bad.json().errors, [{ path: '/body/name' }])
})

t.test('an ingest key opens only the integration endpoints', async t => {
  const ctx = await buildTestApp(t)
  const key = (
    await ctx.app.inject({ method: 'POST', url: '/v1/ingest-keys', headers: ctx.admin.headers, payload: { name: 'a' } })
  ).json().key as string
  const headers = { authorization: `Bearer ${key}` }
  t.equal((await ctx.app.inject({ url: '/v1/anomalies', headers })).statusCode, 403)
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/v1/ingest-keys', headers, payload: { name: 'b' } })).statusCode,
    403
  )
  t.equal(
    (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/integrations/alertmanager',
        headers: { authorization: 'Bearer c314_not-a-key' },
        payload: firing('a')
      })
    ).statusCode,
    401
  )
  const elsewhere = await ctx.app.inject({
    method: 'POST',
    url: `/v1/integrations/alertmanager?organization_id=${randomUUID()}`,
    headers,
    payload: firing('a')
  })
  t.equal(elsewhere.statusCode, 403, 'a key cannot name another organization')
})
