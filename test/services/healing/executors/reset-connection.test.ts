import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { createSql, type Sql } from '../../../../src/db/client.js'
import { resetConnection } from '../../../../src/services/healing/executors/reset-connection.js'
import type { ComponentTarget, ExecutionRequest } from '../../../../src/services/healing/executors/types.js'
import { startSilentServer } from '../../../helpers/control-endpoint.js'
import { freshDatabase, ownerSql } from '../../../helpers/database.js'
import { targetPolicy } from '../../../../src/lib/address-policy.js'

/** One client connection under an application name, closed when the test ends. */
// The suite's targets listen on 127.0.0.1, which the policy refuses unless allow-listed.
const LOCAL_TARGETS = targetPolicy(['127.0.0.1'])

function client(t: Test, url: string, applicationName: string): Sql {
  const sql = createSql(url, { max: 1, applicationName })
  t.teardown(async () => {
    await sql.end({ timeout: 0 })
  })
  return sql
}

async function pidOf(sql: Sql): Promise<number> {
  const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`
  if (row === undefined) throw new Error('no backend')
  return row.pid
}

async function livePids(owner: Sql, pids: number[]): Promise<number[]> {
  const rows = await owner<
    { pid: number }[]
  >`select pid from pg_stat_activity where pid = any(${pids}::int[]) order by pid`
  return rows.map(row => row.pid)
}

function dbTarget(url: string, applicationName: string | undefined): ComponentTarget {
  return {
    component_name: 'orders',
    component_type: 'service',
    database_url: url,
    ...(applicationName === undefined ? {} : { application_name: applicationName })
  }
}

function request(target: ComponentTarget, overrides: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    actionId: randomUUID(),
    actionType: 'reset_connection',
    organizationId: null,
    componentName: 'orders',
    parameters: {},
    attempt: 1,
    target,
    dryRun: false,
    policy: LOCAL_TARGETS,
    signal: AbortSignal.timeout(10_000),
    ...overrides
  }
}

const sleep = async (ms: number): Promise<void> => {
  await new Promise(resolve => setTimeout(resolve, ms))
}

t.test("terminates the application's idle and idle-in-transaction connections, and no other application's", async t => {
  const { url } = await freshDatabase(t)
  const owner = ownerSql(t, url)
  const idle = client(t, url, 'victim-app')
  const inTransaction = client(t, url, 'victim-app')
  const bystander = client(t, url, 'bystander-app')
  const idlePid = await pidOf(idle)
  const reserved = await inTransaction.reserve()
  await reserved`begin`
  const inTransactionPid = await pidOf(reserved)
  const bystanderPid = await pidOf(bystander)
  await sleep(1200)

  const result = await resetConnection.execute(
    request(dbTarget(url, 'victim-app'), { parameters: { idle_seconds: 1, stuck_seconds: 1 } })
  )

  t.equal(result.success, true)
  t.equal(result.simulated, false)
  t.same(
    result.result.terminated_pids,
    [idlePid, inTransactionPid].sort((a, b) => a - b)
  )
  t.match(result.output, /terminated 2 connections of "victim-app"/)
  t.same(await livePids(owner, [idlePid, inTransactionPid]), [], 'the victims are gone from pg_stat_activity')
  t.same(await livePids(owner, [bystanderPid]), [bystanderPid], 'the bystander remains')
  t.same(await bystander`select 1 as one`, [{ one: 1 }], 'and still works')
  t.notOk(
    result.output.includes(url) || JSON.stringify(result.result).includes(url),
    'the database URL is not in the result'
  )
})

t.test('a statement running longer than stuck_seconds is terminated', async t => {
  const { url } = await freshDatabase(t)
  const owner = ownerSql(t, url)
  const busy = client(t, url, 'victim-app')
  const busyPid = await pidOf(busy)
  const running = busy`select pg_sleep(30)`.then(
    () => 'finished',
    () => 'terminated'
  )
  await sleep(1200)

  const result = await resetConnection.execute(
    request(dbTarget(url, 'victim-app'), { parameters: { idle_seconds: 3600, stuck_seconds: 1 } })
  )

  t.same(result.result.terminated_pids, [busyPid])
  t.equal(await running, 'terminated')
  t.same(await livePids(owner, [busyPid]), [])
})

t.test('connections younger than the thresholds are left alone', async t => {
  const { url } = await freshDatabase(t)
  const owner = ownerSql(t, url)
  const idlePid = await pidOf(client(t, url, 'victim-app'))

  const result = await resetConnection.execute(request(dbTarget(url, 'victim-app')))

  t.equal(result.success, true)
  t.same(result.result.terminated_pids, [])
  t.same(await livePids(owner, [idlePid]), [idlePid])
})

t.test('the same application connected to another database on the server is left alone', async t => {
  const { url } = await freshDatabase(t)
  const elsewhere = await freshDatabase(t)
  const owner = ownerSql(t, url)
  const here = await pidOf(client(t, url, 'victim-app'))
  const there = await pidOf(client(t, elsewhere.url, 'victim-app'))

  const result = await resetConnection.execute(
    request(dbTarget(url, 'victim-app'), { parameters: { idle_seconds: 0 } })
  )

  t.same(result.result.terminated_pids, [here])
  t.same(await livePids(owner, [here, there]), [there])
})

t.test('an empty application_name is refused as UNSAFE_TARGET and nothing is terminated', async t => {
  const { url } = await freshDatabase(t)
  const owner = ownerSql(t, url)
  const pid = await pidOf(client(t, url, ''))

  for (const applicationName of ['', '  ', undefined]) {
    const result = await resetConnection.execute(
      request(dbTarget(url, applicationName), { parameters: { idle_seconds: 0 } })
    )
    t.match(result, { success: false, errorCode: 'UNSAFE_TARGET', retryable: false })
  }
  t.same(await livePids(owner, [pid]), [pid])
})

t.test('a dry run terminates nothing and says what it would terminate', async t => {
  const { url } = await freshDatabase(t)
  const owner = ownerSql(t, url)
  const pid = await pidOf(client(t, url, 'victim-app'))

  const result = await resetConnection.execute(
    request(dbTarget(url, 'victim-app'), { dryRun: true, parameters: { idle_seconds: 0 } })
  )

  t.match(result, { success: true, simulated: true })
  t.match(result.output, /would terminate the connections of application "victim-app" idle for over 0 s/)
  t.same(await livePids(owner, [pid]), [pid])
})

t.test('a database that refuses the login is a DATABASE_ERROR that is not retried', async t => {
  const { url } = await freshDatabase(t)
  const wrong = new URL(url)
  wrong.pathname = '/core314_no_such_database'

  const result = await resetConnection.execute(request(dbTarget(wrong.toString(), 'victim-app')))

  t.match(result, { success: false, errorCode: 'DATABASE_ERROR', retryable: false })
  t.match(result.error, /does not exist/)
})

t.test('a database that never answers is cut off by the signal: TIMEOUT, returned promptly', async t => {
  const silent = await startSilentServer(t)
  const started = Date.now()

  const result = await resetConnection.execute(
    request(dbTarget(`postgres://core314@127.0.0.1:${silent}/orders`, 'victim-app'), {
      signal: AbortSignal.timeout(300)
    })
  )

  t.match(result, { success: false, errorCode: 'TIMEOUT', retryable: true })
  t.ok(Date.now() - started < 3000, `returned after ${Date.now() - started} ms`)
})

t.test('a database URL listing several hosts, as registration takes it, is reset like one host', async t => {
  const { url } = await freshDatabase(t)
  const owner = ownerSql(t, url)
  const pid = await pidOf(client(t, url, 'victim-app'))
  const parsed = new URL(url)
  // postgres.js tries the hosts in order; both name the same server here.
  const hosts = `${parsed.host},${parsed.host}`
  const multiHost = url.replace(parsed.host, hosts)
  await sleep(1200)

  const result = await resetConnection.execute(
    request(dbTarget(multiHost, 'victim-app'), { parameters: { idle_seconds: 1, stuck_seconds: 1 } })
  )

  t.match(result, { success: true, simulated: false })
  t.same(await livePids(owner, [pid]), [], 'the victim is gone')
})
