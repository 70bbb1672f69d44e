// Writes of several rows send them as one JSON parameter, so the statement's text is the same for
// any number of rows: postgres.js prepares and keeps one statement per text on every pooled
// connection for the connection's life, and a VALUES list made one per row count.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Tx } from '../../src/db/client.js'
import { upsertActiveSignals } from '../../src/db/active-signals.js'
import { recordDecisions } from '../../src/db/decision-audit-log.js'
import { ORG, as, database } from './fixtures.js'

/** Statements this connection has prepared that insert into `table`. */
async function preparedInserts(tx: Tx, table: string): Promise<number> {
  const [row] = await tx<Array<{ n: number }>>`
    select count(*)::int as n from pg_prepared_statements where statement ilike ${`%insert into ${table} %`}`
  return row?.n ?? 0
}

t.test('signals upserted one, two or three at a time share one prepared statement', async t => {
  const sql = await database(t)
  const run = randomUUID()
  const { stored, prepared } = await as(sql, 'service', async tx => {
    for (const count of [1, 2, 3]) {
      const drafts = Array.from({ length: count }, (_, i) => ({
        organization_id: ORG,
        anomaly_type: 'latency_spike',
        severity: 'high',
        source_type: 'health_event',
        source_component_name: `svc-${run}-${count}-${i}`,
        affected_components: [`svc-${run}-${count}-${i}`],
        detection_timestamp: new Date('2026-01-02T03:04:05.678Z'),
        metadata: { run, count }
      }))
      const rows = await upsertActiveSignals(tx, Object.keys(drafts[0] as object) as never, drafts, { replace: [] })
      t.equal(rows.length, count, `${count} drafts, ${count} signals`)
    }
    const stored = await tx<
      Array<{ affected_components: string[]; detection_timestamp: Date; metadata: { run: string; count: number } }>
    >`select affected_components, detection_timestamp, metadata from anomaly_signals where metadata->>'run' = ${run}
      order by source_component_name`
    return { stored, prepared: await preparedInserts(tx, 'anomaly_signals') }
  })
  t.equal(stored.length, 6, 'every draft stored')
  t.same(stored[0]?.affected_components, [`svc-${run}-1-0`], 'an array column arrives as an array')
  t.equal(stored[0]?.detection_timestamp.toISOString(), '2026-01-02T03:04:05.678Z', 'a timestamp to the millisecond')
  t.same(stored[5]?.metadata, { run, count: 3 }, 'a jsonb column arrives as the object')
  t.equal(prepared, 1, 'one prepared statement for three row counts')
})

t.test('decisions recorded one, two or three at a time share one prepared statement', async t => {
  const sql = await database(t)
  const run = randomUUID()
  const { stored, prepared } = await as(sql, 'service', async tx => {
    for (const count of [1, 2, 3]) {
      await recordDecisions(
        tx,
        Array.from({ length: count }, (_, i) => ({
          decision_type: 'action_chosen',
          component: 'statement-texts-test',
          organization_id: ORG,
          input: { run, count, i },
          confidence_score: 0.5,
          duration_ms: 7
        }))
      )
    }
    const stored = await tx<Array<{ input: { run: string }; decision: object; subject_id: string | null }>>`
      select input, decision, subject_id from decision_audit_log where input->>'run' = ${run}`
    return { stored, prepared: await preparedInserts(tx, 'decision_audit_log') }
  })
  t.equal(stored.length, 6, 'every record stored')
  t.same(stored[0]?.decision, {}, 'an absent decision is stored as {}')
  t.equal(stored[0]?.subject_id, null, 'an absent column is null')
  t.equal(prepared, 1, 'one prepared statement for three row counts')
})
