// Faults under load: the database going away and coming back while events are ingested, and
// SIGTERM while requests are in flight. Nothing acknowledged (201) is ever lost or stored
// twice; the service recovers without a restart; a drain completes what it accepted.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { tolerateConnectionLoss } from '../../src/db/errors.js'
import { signToken } from '../../src/services/auth/tokens.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'
import { TEST_JWT_SECRET, TEST_SECRETS_KEY, testConfig } from '../helpers/app.js'
import { spawnServer } from '../helpers/spawn-server.js'
import { proxiedDatabase } from '../helpers/tcp-proxy.js'

interface Outcome {
  status: number
  id?: string
}

async function ingestUntil(
  address: string,
  token: string,
  stop: () => boolean,
  outcomes: Outcome[],
  label: string
): Promise<void> {
  let i = 0
  while (!stop()) {
    i += 1
    try {
      const res = await fetch(`${address}/v1/health-events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          component_type: 'edge_function',
          component_name: `${label}-${i}`,
          status: 'healthy',
          latency_ms: i
        })
      })
      const body = (await res.json()) as { id?: string }
      outcomes.push(res.status === 201 ? { status: 201, id: body.id as string } : { status: res.status })
    } catch {
      outcomes.push({ status: 0 })
    }
  }
}

t.test(
  'the database lost and back under load: 503 meanwhile, recovery without a restart, every acknowledged event stored once',
  async t => {
    const { url } = await freshDatabase(t)
    const { proxy, url: viaProxy } = await proxiedDatabase(t, url)
    const app = await buildApp(testConfig({ databaseUrl: viaProxy, rateLimitMax: 1_000_000 }), {
      logger: false,
      poolSize: 4
    })
    const handler = tolerateConnectionLoss(() => {})
    t.teardown(async () => {
      process.off('unhandledRejection', handler)
      await app.close()
    })
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    const token = await signToken(TEST_JWT_SECRET, { role: 'service_role' })

    const outcomes: Outcome[] = []
    let phase: 'before' | 'down' | 'after' | 'done' = 'before'
    const load = Promise.all(
      Array.from(
        { length: 4 },
        async (_, worker) => await ingestUntil(address, token, () => phase === 'done', outcomes, `w${worker}`)
      )
    )
    await new Promise(resolve => setTimeout(resolve, 700))
    phase = 'down'
    await proxy.cut()
    await new Promise(resolve => setTimeout(resolve, 300))
    const readiness = await app.inject('/readyz')
    await new Promise(resolve => setTimeout(resolve, 500))
    const acknowledgedBeforeRestore = outcomes.filter(o => o.status === 201).length
    await proxy.restore()
    phase = 'after'
    await new Promise(resolve => setTimeout(resolve, 1500))
    phase = 'done'
    await load
    app.server.closeAllConnections()

    t.equal(readiness.statusCode, 503, 'not ready while the database is away')
    const statuses = new Set(outcomes.map(o => o.status))
    t.ok(
      outcomes.every(o => o.status === 201 || o.status === 503),
      `only 201 or 503 (saw ${[...statuses].join(', ')})`
    )
    t.ok(statuses.has(503), 'requests were refused with 503 while it was away')
    t.ok(
      outcomes.filter(o => o.status === 201).length > acknowledgedBeforeRestore,
      'ingestion recovered without a restart'
    )
    t.equal((await app.inject('/readyz')).statusCode, 200)

    const acknowledged = outcomes.filter(o => o.status === 201).map(o => o.id as string)
    const owner = ownerSql(t, url)
    const stored = await owner<
      Array<{ id: string }>
    >`select id from system_health_events where id = any(${acknowledged}::uuid[])`
    t.equal(stored.length, acknowledged.length, `all ${acknowledged.length} acknowledged events are stored`)
    // A commit whose reply was lost on the cut may store an event its caller saw refused (it
    // may retry with an Idempotency-Key); what must never happen is one request stored twice.
    t.same(
      await owner`select component_name from system_health_events group by component_name having count(*) > 1`,
      [],
      'no request stored twice'
    )
  }
)

t.test('SIGTERM under load: what was acknowledged is stored, then the process exits 0', async t => {
  const { url } = await freshDatabase(t)
  const server = spawnServer({
    DATABASE_URL: url,
    JWT_SECRET: TEST_JWT_SECRET,
    SECRETS_KEY: TEST_SECRETS_KEY,
    PORT: '0',
    RATE_LIMIT_MAX: '1000000'
  })
  t.teardown(() => {
    server.child.kill('SIGKILL')
  })
  const address = await server.address
  const token = await signToken(TEST_JWT_SECRET, { role: 'service_role' })
  const outcomes: Outcome[] = []
  let stopped = false
  const load = Promise.all(
    Array.from(
      { length: 6 },
      async (_, worker) => await ingestUntil(address, token, () => stopped, outcomes, `s${worker}`)
    )
  )
  // The signal lands once the load is well under way, however slow the machine is today.
  const deadline = Date.now() + 30_000
  while (outcomes.filter(o => o.status === 201).length < 20 && Date.now() < deadline)
    await new Promise(resolve => setTimeout(resolve, 50))
  server.child.kill('SIGTERM')
  const code = await server.exit
  stopped = true
  await load

  t.equal(code, 0)
  const acknowledged = outcomes.filter(o => o.status === 201).map(o => o.id as string)
  t.ok(acknowledged.length >= 20, `${acknowledged.length} events acknowledged before and during the drain`)
  t.ok(
    outcomes.every(o => o.status === 201 || o.status === 503 || o.status === 0),
    'after the signal: 503 while draining, or the connection refused once closed'
  )
  const owner = ownerSql(t, url)
  const stored = await owner<
    Array<{ id: string }>
  >`select id from system_health_events where id = any(${acknowledged}::uuid[])`
  t.equal(stored.length, acknowledged.length, 'every acknowledged event is stored')
})
