// Identity never leaks through the pool: two users' requests interleaved on a pool of two
// connections, with aborted requests and killed connections mixed in, never see each other's
// rows, because role and claims are set per transaction and end with it.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildApp } from '../../src/app.js'
import { tolerateConnectionLoss } from '../../src/db/errors.js'
import { signToken } from '../../src/services/auth/tokens.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'
import { TEST_JWT_SECRET, testConfig } from '../helpers/app.js'

t.test(
  'interleaved users on two connections, with aborts and killed connections, only ever see their own rows',
  async t => {
    const { url } = await freshDatabase(t)
    // Errors the app logs, to name the cause should a request ever answer anything but 200 or 503.
    const logged: string[] = []
    const app = await buildApp(testConfig({ databaseUrl: url, rateLimitMax: 1_000_000 }), {
      logger: { level: 'error', stream: { write: line => logged.push(line) } },
      poolSize: 2
    })
    t.teardown(() => app.close())
    const owner = ownerSql(t, url)
    const users = [randomUUID(), randomUUID()]
    for (const [i, user] of users.entries()) {
      await owner`insert into system_health_events (user_id, component_type, component_name, status)
      select ${user}, 'edge_function', ${`user-${i}-fn`}, 'healthy' from generate_series(1, 5)`
    }
    const tokens = await Promise.all(
      users.map(async sub => await signToken(TEST_JWT_SECRET, { sub, role: 'authenticated' }))
    )
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    // As src/server.ts does: a killed connection's leftover rejections are logged, not fatal.
    const tolerated: unknown[] = []
    const handler = tolerateConnectionLoss(reason => tolerated.push(reason))
    t.teardown(() => {
      process.off('unhandledRejection', handler)
    })

    let checked = 0
    let leaks = 0
    let aborted = 0
    let unavailable = 0
    const request = async (i: number): Promise<void> => {
      const who = i % 2
      const controller = new AbortController()
      if (i % 7 === 0) setTimeout(() => controller.abort(), 1)
      try {
        const res = await fetch(`${address}/v1/health-events?limit=50`, {
          headers: { authorization: `Bearer ${tokens[who] as string}` },
          signal: controller.signal
        })
        if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`)
        const body = (await res.json()) as { items: Array<{ user_id: string }> }
        checked += 1
        if (body.items.some(row => row.user_id !== users[who]) || body.items.length !== 5) leaks += 1
      } catch (err) {
        if ((err as Error).name !== 'AbortError') throw err
        aborted += 1
      }
    }
    let killing: Promise<unknown> = Promise.resolve()
    const killer = setInterval(() => {
      killing = owner`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and application_name = 'core314-self-healing' and state = 'idle'`.catch(
        () => {}
      )
    }, 300)
    try {
      for (let round = 0; round < 10; round++) {
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, async (_, i) => await request(round * 10 + i))
        )
        // A request whose connection was killed under it fails with 503 (retry); it never leaks.
        for (const result of results) {
          if (result.status === 'rejected') {
            if (!/status 503/.test(String(result.reason)))
              throw new Error(`${String(result.reason)}; the app logged: ${logged.join('')}`)
            unavailable += 1
          }
        }
      }
    } finally {
      clearInterval(killer)
    }
    t.equal(leaks, 0, "no response ever contained another user's row")
    t.ok(
      checked > 50,
      `${checked} responses checked, ${aborted} aborted, ${unavailable} answered 503 as their connection was killed`
    )
    await killing
    // The first request may still meet a connection killed by the last round (503, retry);
    // within a few retries, as a client honouring Retry-After makes them, the pool serves again.
    let status = 0
    for (let attempt = 0; attempt < 3 && status !== 200; attempt++) {
      const res = await fetch(`${address}/v1/health-events`, {
        headers: { authorization: `Bearer ${tokens[0] as string}` }
      })
      status = res.status
      await res.text()
    }
    t.equal(status, 200, 'the pool recovers after its connections were killed')
    // Nothing is in flight now; drop this client's keep-alive sockets so closing the app does
    // not wait out their timeout.
    app.server.closeAllConnections()
  }
)
