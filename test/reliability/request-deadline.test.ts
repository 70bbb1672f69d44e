// An API request never waits forever on the database (DB_REQUEST_TIMEOUT_MS): blocked behind
// a lock or waiting for a pool connection it answers 503 problem+json with Retry-After and
// stores nothing, on the single-statement and the transactional paths; the service's jobs are
// not limited; and a job's lifted limit never stays on a pooled connection for its next use.
import t, { type Test } from 'tap'
import { SERVICE_CALLER } from '../../src/db/caller.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { ownerSql } from '../helpers/database.js'

const LIMIT_MS = 300

function event(name: string): Record<string, unknown> {
  return { component_type: 'edge_function', component_name: name, status: 'healthy', latency_ms: 120 }
}

async function post(
  ctx: TestApp,
  url: string,
  payload: Record<string, unknown>,
  key?: string
): Promise<{ statusCode: number; headers: Record<string, unknown>; json: () => Record<string, unknown> }> {
  return await ctx.app.inject({
    method: 'POST',
    url,
    headers: { ...ctx.service.headers, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload
  })
}

async function storedCount(ctx: TestApp, name: string): Promise<number> {
  const [row] = await ctx.app.jobDb.asCaller(
    SERVICE_CALLER,
    async tx =>
      await tx<Array<{ n: number }>>`
    select count(*)::int as n from system_health_events where component_name = ${name}`
  )
  return row?.n ?? -1
}

function assertUnavailable(
  t: Test,
  res: { statusCode: number; headers: Record<string, unknown>; json: () => Record<string, unknown> },
  path: string
): void {
  t.equal(res.statusCode, 503, path)
  t.match(String(res.headers['content-type']), /^application\/problem\+json/, path)
  t.equal(res.headers['retry-after'], '1', path)
  t.match(
    res.json(),
    {
      status: 503,
      title: 'Service Unavailable',
      code: /^DATABASE_(TIMEOUT|UNAVAILABLE)$/,
      detail: /nothing was stored/
    },
    path
  )
}

t.test('a request blocked behind a table lock answers 503 and stores nothing, on every write path', async t => {
  const ctx = await buildTestApp(t, { dbRequestTimeoutMs: LIMIT_MS })
  const owner = ownerSql(t, ctx.databaseUrl)
  let release = (): void => {}
  let locked = (): void => {}
  const lockTaken = new Promise<void>(resolve => {
    locked = resolve
  })
  const holder = owner.begin(async tx => {
    await tx`lock table system_health_events in access exclusive mode`
    locked()
    await new Promise<void>(resolve => {
      release = resolve
    })
  })
  await lockTaken
  const name = 'blocked-writer'
  const outcomes = await Promise.all([
    post(ctx, '/v1/health-events', event(`${name}-single`)),
    post(ctx, '/v1/health-events', event(`${name}-keyed`), 'deadline-key-1'),
    post(ctx, '/v1/health-events/batch', { events: [event(`${name}-batch`), event(`${name}-batch`)] })
  ])
  release()
  await holder
  assertUnavailable(t, outcomes[0] as never, 'single statement')
  assertUnavailable(t, outcomes[1] as never, 'single event with an idempotency key (transaction)')
  assertUnavailable(t, outcomes[2] as never, 'batch (transaction)')
  for (const path of ['single', 'keyed', 'batch'])
    t.equal(await storedCount(ctx, `${name}-${path}`), 0, `nothing was written (${path})`)
  t.equal(
    (await post(ctx, '/v1/health-events', event(name))).statusCode,
    201,
    'the service answers again once the lock is gone'
  )
})

t.test('the request Db cancels a statement longer than the limit; the job Db lets it finish', async t => {
  const ctx = await buildTestApp(t, { dbRequestTimeoutMs: LIMIT_MS })
  const slow = async (tx: Parameters<Parameters<typeof ctx.app.db.asCaller>[1]>[0]): Promise<number> => {
    const [row] = await tx<Array<{ done: number }>>`select 1 as done from pg_sleep(${(LIMIT_MS * 2) / 1000})`
    return row?.done ?? 0
  }
  t.equal(await ctx.app.jobDb.asCaller(SERVICE_CALLER, slow), 1, 'the job statement completed')
  await t.rejects(
    ctx.app.db.asCaller(SERVICE_CALLER, slow),
    { code: '57014' },
    'the request statement was cancelled by the server'
  )
})

t.test(
  'with a pool of one, a request waiting for the connection answers 503 and its late work never runs; no setting outlives its use',
  async t => {
    const ctx = await buildTestApp(t, { dbRequestTimeoutMs: LIMIT_MS }, { poolSize: 1 })
    const name = 'queued-writer'
    // A job holds the only connection for longer than the request's deadline (limit + margin).
    const job = ctx.app.jobDb.asCaller(
      SERVICE_CALLER,
      async tx => await tx`select pg_sleep(${(LIMIT_MS + 1000 + 700) / 1000})`
    )
    const outcomes = await Promise.all([
      post(ctx, '/v1/health-events', event(name)),
      post(ctx, '/v1/health-events', event(name), 'deadline-key-2')
    ])
    assertUnavailable(t, outcomes[0] as never, 'single statement waiting for a connection')
    assertUnavailable(t, outcomes[1] as never, 'transaction waiting for a connection')
    await job
    // The pool serves waiters in order: the abandoned ones got the connection before this count.
    t.equal(await storedCount(ctx, name), 0, 'the late work was dropped, not stored after the 503')

    t.equal((await post(ctx, '/v1/health-events', event(name))).statusCode, 201)
    t.equal((await post(ctx, '/v1/health-events', event(name), 'deadline-key-3')).statusCode, 201)
    await ctx.app.jobDb.asCaller(SERVICE_CALLER, async tx => await tx`select 1`)
    const [after] = await ctx.app.db.sql<Array<Record<string, string | null>>>`
    select current_setting('statement_timeout') as statement_timeout,
      current_setting('idle_in_transaction_session_timeout') as idle_timeout,
      current_user as role,
      nullif(current_setting('request.jwt.claims', true), '') as claims`
    t.same(
      after,
      { statement_timeout: `${LIMIT_MS}ms`, idle_timeout: `${LIMIT_MS}ms`, role: after?.role, claims: null },
      "the pool's limit is back after a job lifted it, and no identity is left"
    )
    t.not(after?.role, 'service_role')
  }
)
