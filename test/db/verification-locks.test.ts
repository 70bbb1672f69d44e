// The healing tick claims due verifications with a row lock that splits them between instances
// but leaves the action's key alone: a signal written meanwhile that references the action (its
// foreign key check takes FOR KEY SHARE on the action) goes ahead. With FOR UPDATE the check
// waited for the healer, while the healer waited for the detector's signal row: a deadlock that
// failed a detect or a heal run in the soak.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { claimDueVerifications } from '../../src/db/verifications.js'
import { USER, database, failure, minutesAgo } from './fixtures.js'

t.test('a signal may reference an action whose verification is claimed', async t => {
  const sql = await database(t)
  const row = {
    action_type: 'clear_cache',
    target_component_name: `svc-${randomUUID()}`,
    user_id: USER,
    execution_status: 'succeeded',
    execution_completed_at: minutesAgo(2),
    verification_status: 'pending',
    verification_due_at: minutesAgo(1)
  }
  const [action] = await sql<Array<{ id: string }>>`insert into recovery_actions ${sql(row)} returning id`
  let release = (): void => {}
  const held = new Promise<void>(resolve => (release = resolve))
  let claimed = (_ids: string[]): void => {}
  const claim = new Promise<string[]>(resolve => (claimed = resolve))
  const healer = sql.begin(async tx => {
    claimed((await claimDueVerifications(tx, 10)).map(due => due.id))
    await held
  })
  t.same(await claim, [action?.id], 'the healer holds the due action')
  const written = await failure(
    sql.begin(async tx => {
      await tx`set local lock_timeout = '5s'`
      await tx`
        insert into anomaly_signals (anomaly_type, severity, source_type, source_component_name, triggered_recovery_action_id)
        values ('latency_spike', 'high', 'health_event', ${row.target_component_name}, ${action?.id ?? null})`
    })
  )
  release()
  await healer
  t.equal(written, undefined, 'the signal was written while the claim was held')
})
