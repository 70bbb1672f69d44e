// Self-test signals raised by runs that overlap, the run that started later committing first.
// Regression: the earlier run's raise then matched no row (its time was older than the signal's
// detection), so it failed, and POST /v1/selftests/run answered 500. Whatever the order they
// commit in, the signal ends as if they had committed in the order they ran: every failing run
// counted, the earliest detection, the latest observation and what the latest run said.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Sql, Tx } from '../../src/db/client.js'
import { raiseSignal, type RaisedSignal, type SelftestSignal } from '../../src/db/selftest-signals.js'
import { as, database } from './fixtures.js'

const COMPONENT = 'selftest:database_connectivity'

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
  return { at: (clock as { at: string }).at, raised: await raiseSignal(tx, signal), signal }
}

/** The older run's transaction begins first but raises only after the newer one has committed. */
async function overlapping(sql: Sql): Promise<{ older: Raise; newer: Raise }> {
  let began = (): void => {}
  let release = (): void => {}
  const olderBegan = new Promise<void>(resolve => (began = resolve))
  const newerCommitted = new Promise<void>(resolve => (release = resolve))
  const older = as(sql, 'service', async tx => {
    await tx`select 1`
    began()
    await newerCommitted
    return await raise(tx, failure('older', 'critical'))
  })
  await olderBegan
  try {
    const newer = await as(sql, 'service', async tx => await raise(tx, failure('newer', 'high')))
    release()
    return { older: await older, newer }
  } finally {
    release()
  }
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
