import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('healthz answers while the process lives', async t => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
})

t.test('readyz is 200 when the database answers and migrations are current', async t => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok', checks: { database: true, migrations: true } })
})

t.test('an unknown route is a problem+json 404', async t => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/v1/no-such-thing?x=1' })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.same(res.json(), {
    type: 'urn:core314:problem:not-found',
    title: 'Not Found',
    status: 404,
    code: 'ROUTE_NOT_FOUND',
    detail: 'no route GET /v1/no-such-thing'
  })
})
