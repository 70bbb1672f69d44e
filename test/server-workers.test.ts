// The real entry point with WEB_CONCURRENCY=2: a primary and two workers serving one port.
// Ingest keeps every guarantee across processes: a batch is stored all or none, one
// Idempotency-Key sent at once to both workers stores once, a user reads only their own rows,
// a worker that dies is replaced, and SIGTERM under load drains every worker: each event
// acknowledged is stored, and every process is gone. /metrics answers for both workers,
// whichever takes the scrape.
import { request } from 'node:http'
import { randomUUID } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { TEST_JWT_SECRET, TEST_SECRETS_KEY, tokensFor } from './helpers/app.js'
import { freshDatabase, ownerSql } from './helpers/database.js'
import { alive, spawnServer, type ServerProcess } from './helpers/spawn-server.js'
import { waitFor } from './helpers/cluster.js'
import { parseExposition, sampleValue } from './helpers/prometheus.js'

const ORGANIZATION = '00000000-0000-4000-8000-00000000a001'
// Starting a primary and two workers (and, once, a replacement) on a loaded machine.
t.setTimeout(5 * 60_000)

interface Answer {
  status: number
  body: Record<string, unknown>
}

/** One request on a connection of its own, so the primary hands each to the next worker. */
async function send(address: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  return await new Promise<Answer>((resolve, reject) => {
    const req = request(
      `${address}${path}`,
      { method, agent: false, headers: { ...headers, 'content-type': 'application/json' } },
      res => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
          })
        })
        res.on('error', reject)
      }
    )
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

function event(userId: string, name = 'checkout-api'): Record<string, unknown> {
  return {
    user_id: userId,
    organization_id: ORGANIZATION,
    component_type: 'edge_function',
    component_name: name,
    status: 'healthy',
    latency_ms: 42
  }
}

/** GET /metrics on a connection of its own, as text. */
async function scrape(address: string): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const req = request(`${address}/metrics`, { agent: false }, res => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => {
        if (res.statusCode === 200) resolve(text)
        else reject(new Error(`/metrics answered ${String(res.statusCode)}: ${text}`))
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The pids that logged that they listen, in order: the workers. */
function listeningPids(server: ServerProcess): number[] {
  return [...server.output().matchAll(/"pid":(\d+)[^\n]*"msg":"Core314 self-healing service listening"/g)].map(match =>
    Number(match[1])
  )
}

t.test('two workers on one port: ingest guarantees, a replaced worker, and a drain that loses nothing', async t => {
  const { url } = await freshDatabase(t)
  const sql = ownerSql(t, url)
  const tokens = await tokensFor(ORGANIZATION)
  const service = tokens.service.headers
  const server = spawnServer({
    DATABASE_URL: url,
    JWT_SECRET: TEST_JWT_SECRET,
    SECRETS_KEY: TEST_SECRETS_KEY,
    PORT: '0',
    RATE_LIMIT_MAX: '1000000',
    WEB_CONCURRENCY: '2'
  })
  t.teardown(() => {
    for (const pid of [server.child.pid as number, ...listeningPids(server)])
      if (alive(pid)) process.kill(pid, 'SIGKILL')
  })
  const address = await server.address
  const workers = await waitFor(
    () => listeningPids(server).length === 2 && listeningPids(server),
    180_000,
    'both listen'
  )
  t.notOk(workers.includes(server.child.pid as number), 'the workers are processes of their own')

  t.test('a batch with one bad event is refused whole by whichever worker takes it', async t => {
    const marker = randomUUID()
    for (let i = 0; i < 4; i++) {
      const answer = await send(address, 'POST', '/v1/health-events/batch', service, {
        events: [event(marker), { ...event(marker), latency_ms: -1 }]
      })
      t.equal(answer.status, 400)
    }
    const [row] = await sql<
      Array<{ n: number }>
    >`select count(*)::int as n from system_health_events where user_id = ${marker}`
    t.equal(row?.n, 0, 'nothing stored')
  })

  t.test('one Idempotency-Key sent at once to both workers stores one event', async t => {
    const marker = randomUUID()
    const key = randomUUID()
    const answers = await Promise.all(
      Array.from(
        { length: 8 },
        async () =>
          await send(address, 'POST', '/v1/health-events', { ...service, 'idempotency-key': key }, event(marker))
      )
    )
    t.same(new Set(answers.map(answer => answer.status)), new Set([201]))
    t.equal(new Set(answers.map(answer => answer.body.id)).size, 1, 'every answer names the one event')
    const [row] = await sql<
      Array<{ n: number }>
    >`select count(*)::int as n from system_health_events where user_id = ${marker}`
    t.equal(row?.n, 1)
  })

  t.test('a user reads only their own events, whichever worker answers', async t => {
    for (const who of [tokens.user, tokens.otherUser])
      t.equal((await send(address, 'POST', '/v1/health-events', service, event(who.id, 'reader-check'))).status, 201)
    for (let i = 0; i < 4; i++) {
      const page = await send(address, 'GET', '/v1/health-events?component_name=reader-check', tokens.user.headers)
      t.equal(page.status, 200)
      t.same(
        (page.body.items as Array<{ user_id: string }>).map(item => item.user_id),
        [tokens.user.id],
        'only the reader own row'
      )
    }
  })

  t.test('every scrape sums both workers: counters rise by the work done, db gauges count once', async t => {
    // The text parser loses a labelled histogram's labels, so its _count line is read as is.
    const stored = (text: string): number =>
      Number(
        /^http_request_duration_seconds_count\{method="POST",route="\/v1\/health-events",status_code="201"\} (\d+)$/m.exec(
          text
        )?.[1] ?? 0
      )
    let expected = stored(await scrape(address))
    const seen: number[] = []
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++)
        t.equal((await send(address, 'POST', '/v1/health-events', service, event(randomUUID()))).status, 201)
      expected += 3
      // Each scrape reaches the next worker in turn: one worker's own figures would fall short.
      const text = await scrape(address)
      seen.push(stored(text))
      const families = parseExposition(text)
      t.equal(sampleValue(families, 'db_pool_size'), 20, "both workers' pools of 10")
      t.equal(sampleValue(families, 'core314_healing_mode', { mode: 'auto' }), 1, 'a db gauge is not summed')
      if (round === 3) {
        const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
        if (checked.error !== undefined) t.comment('promtool is not installed here; .ci/run installs it')
        else
          t.same(
            `${checked.stdout}${checked.stderr}`
              .split('\n')
              .filter(line => line.trim() !== '' && !/^nodejs_active_\w+_total non-counter metrics/.test(line)),
            [],
            'promtool check metrics accepts the merged exposition'
          )
      }
    }
    t.same(seen, [expected - 9, expected - 6, expected - 3, expected], 'monotonic, and equal to the requests made')
  })

  t.test('a worker that dies is replaced and the port keeps answering', async t => {
    const victim = workers[1] as number
    process.kill(victim, 'SIGKILL')
    const replacement = await waitFor(
      () => listeningPids(server).find(pid => !workers.includes(pid)),
      // A worker builds the whole app as it starts: over a minute on a machine loaded 30 deep.
      180_000,
      'a new worker listens'
    )
    t.ok(alive(replacement))
    for (let i = 0; i < 4; i++)
      t.equal((await send(address, 'POST', '/v1/health-events', service, event(randomUUID()))).status, 201)
  })

  t.test('SIGTERM under load: every worker drains, every acknowledged event is stored', async t => {
    const marker = 'drain-check'
    const acknowledged: string[] = []
    let refused = 0
    let stop = false
    const callers = Array.from({ length: 8 }, async (_, caller) => {
      for (let i = 0; !stop; i++) {
        const batch = i % 4 === 0
        const body = batch
          ? { events: [event(randomUUID(), marker), event(randomUUID(), marker)] }
          : event(randomUUID(), marker)
        const answer = await send(address, 'POST', `/v1/health-events${batch ? '/batch' : ''}`, service, body).catch(
          () => undefined
        )
        if (answer?.status === 201)
          acknowledged.push(...(batch ? (answer.body.ids as string[]) : [answer.body.id as string]))
        else if (answer === undefined || answer.status === 503) {
          refused += 1
          if (server.child.exitCode !== null) stop = true
        } else throw new Error(`caller ${caller}: unexpected ${answer.status} ${JSON.stringify(answer.body)}`)
      }
    })
    await waitFor(() => acknowledged.length >= 100, 60_000, '100 events acknowledged')
    const processes = [server.child.pid as number, ...listeningPids(server)]
    server.child.kill('SIGTERM')
    t.equal(await server.exit, 0, 'the primary exits 0 once its workers have drained')
    stop = true
    await Promise.all(callers)
    t.ok(refused > 0, 'requests after the drain are refused, not lost')
    const stored = await sql<
      Array<{ id: string }>
    >`select id from system_health_events where component_name = ${marker}`
    const storedIds = new Set(stored.map(row => row.id))
    t.same(
      acknowledged.filter(id => !storedIds.has(id)),
      [],
      `all ${acknowledged.length} acknowledged events are stored`
    )
    await waitFor(() => processes.every(pid => !alive(pid)), 10_000, 'every process has exited')
    t.match(server.output(), /"component":"primary","workers":2,"signal":"SIGTERM","msg":"draining before exit"/)
  })
})
