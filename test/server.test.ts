// The real entry point, as `npm start` runs it, with the given database (the embedded start is
// test/start.test.ts's); configuration errors; graceful shutdown on SIGTERM.
import t, { type Test } from 'tap'
import { mkdtemp } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createSql } from '../src/db/client.js'
import { freshDatabase } from './helpers/database.js'
import { TEST_JWT_SECRET, TEST_SECRETS_KEY } from './helpers/app.js'
import { spawnServer } from './helpers/spawn-server.js'

/**
 * Holds schema_migrations locked, which /readyz reads, until `release` is called; `waiting`
 * resolves once a query waits on the lock, meaning a /readyz request is in flight.
 */
async function lockReadiness(t: Test, url: string): Promise<{ waiting: () => Promise<void>; release: () => void }> {
  const blocker = createSql(url, { max: 1 })
  const watcher = createSql(url, { max: 1 })
  t.teardown(async () => {
    await Promise.all([blocker.end(), watcher.end()])
  })
  let release: () => void = () => {}
  const released = new Promise<void>(resolve => (release = resolve))
  let locked: () => void = () => {}
  const lockHeld = new Promise<void>(resolve => (locked = resolve))
  const held = blocker.begin(async tx => {
    await tx`lock table schema_migrations in access exclusive mode`
    locked()
    await released
  })
  t.teardown(async () => {
    release()
    await held
  })
  await lockHeld
  return {
    release,
    waiting: async () => {
      for (;;) {
        const [row] = await watcher<{ n: number }[]>`
          select count(*)::int as n from pg_locks where not granted and relation = 'schema_migrations'::regclass`
        if ((row?.n ?? 0) > 0) return
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    }
  }
}

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
    const readiness = await lockReadiness(t, url)
    const inFlight = fetch(`${address}/readyz`)
    await readiness.waiting()
    server.child.kill('SIGTERM')
    await new Promise(resolve => setTimeout(resolve, 300))
    readiness.release()
    const response = await inFlight
    t.equal(response.status, 200, 'the in-flight request completed normally')
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
  // A request that cannot finish until the test lets it keeps the first signal's drain waiting.
  const readiness = await lockReadiness(t, url)
  fetch(`${address}/readyz`).catch(() => {})
  await readiness.waiting()
  server.child.kill('SIGTERM')
  await new Promise(resolve => setTimeout(resolve, 300))
  server.child.kill('SIGTERM')
  const exited = await Promise.race([
    server.exit,
    new Promise(resolve => setTimeout(() => resolve('still running'), 10_000))
  ])
  t.equal(exited, 1, 'the second signal ends the process while the drain still waits, with a non-zero code')
})
