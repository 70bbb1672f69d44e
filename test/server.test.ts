// The real entry point, as `npm start` runs it, with the given database (the embedded start is
// test/start.test.ts's); configuration errors; graceful shutdown on SIGTERM.
import t from 'tap'
import { mkdtemp } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createSql } from '../src/db/client.js'
import { freshDatabase } from './helpers/database.js'
import { TEST_JWT_SECRET, TEST_SECRETS_KEY } from './helpers/app.js'
import { spawnServer } from './helpers/spawn-server.js'

t.test(
  'with DATABASE_URL it migrates that database, starts none, and SIGTERM lets an in-flight request finish',
  async t => {
    const { url } = await freshDatabase(t, { empty: true })
    const dataDir = await mkdtemp(path.join(tmpdir(), 'core314-attached-'))
    const server = spawnServer({
      DATABASE_URL: url,
      JWT_SECRET: TEST_JWT_SECRET,
      SECRETS_KEY: TEST_SECRETS_KEY,
      DATA_DIR: dataDir,
      PORT: '0'
    })
    t.teardown(() => {
      server.child.kill('SIGKILL')
    })
    const address = await server.address
    t.equal((await fetch(`${address}/readyz`)).status, 200)
    t.notOk(existsSync(path.join(dataDir, 'pg')), 'no embedded cluster')
    const sql = createSql(url, { max: 1 })
    t.teardown(async () => {
      await sql.end()
    })
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from schema_migrations`
    t.ok((row?.n ?? 0) > 0, 'migrations applied to the given database')

    // Hold the table readiness reads, so a /readyz request is in flight when the signal comes.
    const release = sql.begin(async tx => {
      await tx`lock table schema_migrations in access exclusive mode`
      await new Promise(resolve => setTimeout(resolve, 800))
    })
    await new Promise(resolve => setTimeout(resolve, 100))
    const inFlight = fetch(`${address}/readyz`)
    await new Promise(resolve => setTimeout(resolve, 200))
    server.child.kill('SIGTERM')
    const response = await inFlight
    t.equal(response.status, 200, 'the in-flight request completed normally')
    await release
    // Without draining, the idle keep-alive socket would hold the process for over a minute.
    const exited = await Promise.race([
      server.exit,
      new Promise(resolve => setTimeout(() => resolve('still running'), 15_000))
    ])
    t.equal(exited, 0, 'exits 0 once the request is answered')
  }
)

t.test('a bad configuration value stops the process naming the variable', async t => {
  const server = spawnServer({
    DATABASE_URL: 'postgres://x@127.0.0.1/x',
    JWT_SECRET: TEST_JWT_SECRET,
    SECRETS_KEY: TEST_SECRETS_KEY,
    RATE_LIMIT_MAX: 'lots'
  })
  t.equal(await server.exit, 1)
  t.match(server.output(), /configuration error: RATE_LIMIT_MAX: must be a whole number/)
})

t.test('a second signal exits at once, without waiting for the drain', async t => {
  const { url } = await freshDatabase(t)
  const server = spawnServer({
    DATABASE_URL: url,
    JWT_SECRET: TEST_JWT_SECRET,
    SECRETS_KEY: TEST_SECRETS_KEY,
    PORT: '0'
  })
  t.teardown(() => {
    server.child.kill('SIGKILL')
  })
  const address = await server.address
  const blocker = createSql(url, { max: 1 })
  t.teardown(async () => {
    await blocker.end()
  })
  // A request that cannot finish for 4 s keeps the first signal's drain waiting.
  const held = blocker.begin(async tx => {
    await tx`lock table schema_migrations in access exclusive mode`
    await new Promise(resolve => setTimeout(resolve, 4_000))
  })
  await new Promise(resolve => setTimeout(resolve, 100))
  fetch(`${address}/readyz`).catch(() => {})
  await new Promise(resolve => setTimeout(resolve, 200))
  server.child.kill('SIGTERM')
  await new Promise(resolve => setTimeout(resolve, 300))
  server.child.kill('SIGTERM')
  const exited = await Promise.race([
    server.exit,
    new Promise(resolve => setTimeout(() => resolve('still running'), 2_500))
  ])
  t.equal(exited, 1, 'the second signal ends the process before the drain could, with a non-zero code')
  await held
})
