// Readiness follows the database: 503 while it cannot be reached, 200 again when it returns,
// without restarting the app.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { freshDatabase } from '../helpers/database.js'
import { testConfig } from '../helpers/app.js'
import { proxiedDatabase } from '../helpers/tcp-proxy.js'

t.test('readyz flips to 503 when the database goes away and back to 200 when it returns', async t => {
  const { url } = await freshDatabase(t)
  const { proxy, url: viaProxy } = await proxiedDatabase(t, url)
  const app = await buildApp(testConfig({ databaseUrl: viaProxy }), { logger: false })
  t.teardown(() => app.close())

  t.equal((await app.inject('/readyz')).statusCode, 200)
  await proxy.cut()
  const down = await app.inject('/readyz')
  t.equal(down.statusCode, 503)
  t.same(down.json(), { status: 'unavailable', checks: { database: false, migrations: false } })
  t.equal((await app.inject('/healthz')).statusCode, 200, 'the process is still alive')
  await proxy.restore()
  t.equal((await app.inject('/readyz')).statusCode, 200)
})

t.test('readyz is 503 when a migration is not applied', async t => {
  const { url } = await freshDatabase(t)
  const app = await buildApp(testConfig({ databaseUrl: url }), { logger: false })
  t.teardown(() => app.close())
  await app.db.sql`delete from schema_migrations where version = (select max(version) from schema_migrations)`
  const res = await app.inject('/readyz')
  t.equal(res.statusCode, 503)
  t.same(res.json().checks, { database: true, migrations: false })
})
