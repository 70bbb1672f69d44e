// Self-test signals raised and resolved by runs that overlap, the run that started later
// committing first. Regressions: the earlier run's raise then matched no row (its time was older
// than the signal's detection), so it failed, and POST /v1/selftests/run answered 500; the
// earlier run's pass resolved the later run's failure; the earlier run's failure opened a signal
// the later run's pass had put right. Whatever the order they commit in, the signal ends as if
// they had committed in the order they ran: every failing run counted, the earliest detection,
// the latest observation, what the latest run said, and open only if the latest run failed.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Sql, Tx } from '../../src/db/client.js'
import { raiseSignal, resolveSignal, type RaisedSignal, type SelftestSignal } from '../../src/db/selftest-signals.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'
import { as, database } from './fixtures.js'

const TEST = 'database_connectivity'
const COMPONENT = `selftest:${TEST}`

function failure(run: string, severity: string): SelftestSignal {
  const resultId = randomUUID()
  return {
    anomaly_type: 'selftest_failure',
    severity,
    confidence_score: 1,
    source_id: resultId,
    source_component_type: 'database',
    source_component_name: COMPONENT,
    anomaly_description: `the ${run} run failed`,
    anomaly_summary: 'Self-test database_connectivity failed',
    recommended_actions: [{ action_type: 'alert_escalation', reason: `the ${run} run` }],
    baseline_value: null,
    observed_value: null,
    deviation_percentage: null,
    detection_algorithm: 'selftest_assertions',
    metadata: { test_name: 'database_connectivity', result_id: resultId, run }
  }
}

interface Raise {
  /** The raising transaction's time, with its microseconds. */
  at: string
  raised: RaisedSignal
  signal: SelftestSignal
}

async function raise(tx: Tx, signal: SelftestSignal): Promise<Raise> {
  const [clock] = await tx<Array<{ at: string }>>`select now()::text as at`
  const raised = await raiseSignal(tx, TEST, signal)
  if (raised === undefined) throw new Error('the raise was dropped')
  return { at: (clock as { at: string }).at, raised, signal }
}

/** The older run's transaction begins first but writes only after the newer one has committed. */
async function interleaved<Older, Newer>(
  sql: Sql,
  older: (tx: Tx) => Promise<Older>,
  newer: (tx: Tx) => Promise<Newer>
): Promise<{ older: Older; newer: Newer }> {
  let began = (): void => {}
  let release = (): void => {}
  const olderBegan = new Promise<void>(resolve => (began = resolve))
  const newerCommitted = new Promise<void>(resolve => (release = resolve))
  const olderRun = as(sql, 'service', async tx => {
    await tx`select 1`
    began()
    await newerCommitted
    return await older(tx)
  })
  await olderBegan
  try {
    const newerDone = await as(sql, 'service', newer)
    release()
    return { older: await olderRun, newer: newerDone }
  } finally {
    release()
  }
}

async function overlapping(sql: Sql): Promise<{ older: Raise; newer: Raise }> {
  return await interleaved(
    sql,
    async tx => await raise(tx, failure('older', 'critical')),
    async tx => await raise(tx, failure('newer', 'high'))
  )
}

/** A passing result of the test, stored as the run stores it (its time is its transaction's). */
async function passed(tx: Tx): Promise<void> {
  await tx`insert into selftest_results (test_name, test_category, execution_status, test_result, success)
    values (${TEST}, 'database', 'completed', 'passed', true)`
}

async function statusOf(sql: Sql, id: string): Promise<string | undefined> {
  const [row] = await sql<Array<{ status: string }>>`select status from anomaly_signals where id = ${id}`
  return row?.status
}

/** The open signal, with its detection and last observation compared to the raises' times. */
async function stored(sql: Sql, times: { detected: Raise; observed: Raise }) {
  return await sql<
    Array<{
      id: string
      historical_occurrences: number
      severity: string
      source_id: string
      anomaly_description: string
      recommended_actions: unknown
      metadata: Record<string, unknown>
      detected_then: boolean
      observed_then: boolean
    }>
  >`
    select id, historical_occurrences, severity, source_id, anomaly_description, recommended_actions, metadata,
      detection_timestamp = ${times.detected.at}::timestamptz as detected_then,
      last_observed_at = ${times.observed.at}::timestamptz as observed_then
    from anomaly_signals where source_component_name = ${COMPONENT} and status = 'open'`
}

async function began(sql: Sql, first: Raise, then: Raise): Promise<boolean> {
  const [row] = await sql<
    Array<{ ordered: boolean }>
  >`select ${first.at}::timestamptz < ${then.at}::timestamptz as ordered`
  return row?.ordered === true
}

t.test('a raise that commits after a newer run opened the signal repeats it, as if in order', async t => {
  const sql = await database(t)
  const { older, newer } = await overlapping(sql)
  t.ok(await began(sql, older, newer), 'the older run began first: the race really happened')
  const [signal, ...others] = await stored(sql, { detected: older, observed: newer })
  t.same(others, [], 'one open signal')
  t.match(newer.raised, { id: signal?.id, inserted: true, historical_occurrences: 1 })
  t.match(older.raised, { id: signal?.id, inserted: false, historical_occurrences: 2 }, 'both runs counted')
  t.match(signal, {
    detected_then: true,
    observed_then: true,
    severity: 'critical',
    source_id: newer.signal.source_id,
    anomaly_description: 'the newer run failed',
    recommended_actions: newer.signal.recommended_actions,
    metadata: { run: 'newer', result_id: newer.signal.source_id }
  })
})

t.test('a late raise on a signal already open does not take it back to the older run', async t => {
  const sql = await database(t)
  const first = await as(sql, 'service', async tx => await raise(tx, failure('first', 'medium')))
  const { older, newer } = await overlapping(sql)
  t.ok(await began(sql, older, newer))
  t.equal(older.raised.id, first.raised.id)
  const [signal] = await stored(sql, { detected: first, observed: newer })
  t.match(signal, {
    id: first.raised.id,
    historical_occurrences: 3,
    detected_then: true,
    observed_then: true,
    severity: 'critical',
    source_id: newer.signal.source_id,
    anomaly_description: 'the newer run failed',
    metadata: { run: 'newer' }
  })
})

t.test('a pass that commits after a newer failure leaves that failure open', async t => {
  const sql = await database(t)
  const { older, newer } = await interleaved(
    sql,
    async tx => await resolveSignal(tx, COMPONENT, 'selftest_failure', 'the older run passed'),
    async tx => await raise(tx, failure('newer', 'high'))
  )
  t.same(older, [], 'the older pass resolved nothing')
  t.equal(await statusOf(sql, newer.raised.id), 'open')
})

t.test('a pass that commits after an older failure resolves it', async t => {
  const sql = await database(t)
  const first = await as(sql, 'service', async tx => await raise(tx, failure('first', 'high')))
  const resolved = await as(
    sql,
    'service',
    async tx => await resolveSignal(tx, COMPONENT, 'selftest_failure', 'passed again')
  )
  t.same(resolved, [first.raised.id])
  t.equal(await statusOf(sql, first.raised.id), 'resolved')
})

t.test('a failure that commits after a newer pass was stored opens nothing', async t => {
  const sql = await database(t)
  const first = await as(sql, 'service', async tx => await raise(tx, failure('first', 'high')))
  const { older, newer } = await interleaved(
    sql,
    async tx => await raiseSignal(tx, TEST, failure('older', 'critical')),
    async tx => {
      await passed(tx)
      return await resolveSignal(tx, COMPONENT, 'selftest_failure', 'the newer run passed')
    }
  )
  t.same(newer, [first.raised.id], 'the newer pass resolved the open failure')
  t.equal(older, undefined, 'the older failure was dropped')
  const open = await sql`select id from anomaly_signals where source_component_name = ${COMPONENT} and status = 'open'`
  t.equal(open.length, 0, 'no signal open after the latest run passed')
})

t.test('a failure after an older pass still opens its signal', async t => {
  const sql = await database(t)
  await as(sql, 'service', passed)
  const raised = await as(sql, 'service', async tx => await raiseSignal(tx, TEST, failure('later', 'high')))
  t.match(raised, { inserted: true })
})

t.test('a failure raised while a newer pass is being stored waits for it, then opens nothing', async t => {
  const { url } = await freshDatabase(t)
  const sql = ownerSql(t, url)
  // The two transactions hold both of sql's connections; the wait is watched from another.
  const watcher = ownerSql(t, url)
  const first = await as(sql, 'service', async tx => await raise(tx, failure('first', 'high')))
  let olderBegan = (): void => {}
  let newerWrote = (): void => {}
  let commitNewer = (): void => {}
  const began = new Promise<void>(resolve => (olderBegan = resolve))
  const wrote = new Promise<void>(resolve => (newerWrote = resolve))
  const commit = new Promise<void>(resolve => (commitNewer = resolve))
  const older = as(sql, 'service', async tx => {
    await tx`select 1`
    olderBegan()
    await wrote
    return await raiseSignal(tx, TEST, failure('older', 'critical'))
  })
  await began
  const newer = as(sql, 'service', async tx => {
    await passed(tx)
    const resolved = await resolveSignal(tx, COMPONENT, 'selftest_failure', 'the newer run passed')
    newerWrote()
    await commit
    return resolved
  })
  try {
    await wrote
    // The older raise is waiting (for its turn, or without one for the signal's row) while the
    // newer pass is still uncommitted.
    for (let waiting = false; !waiting;) {
      const [row] = await watcher<Array<{ waiting: boolean }>>`
        select exists (select 1 from pg_locks where not granted) as waiting`
      waiting = row?.waiting === true
    }
  } finally {
    commitNewer()
  }
  t.same(await newer, [first.raised.id])
  t.equal(await older, undefined, 'the older failure saw the newer pass once it committed')
  t.equal(await statusOf(sql, first.raised.id), 'resolved')
})
