// Migration 0150 (a signal's component name holds 1-200 characters) on a database that already
// holds signals with empty names, as the API stored them before: they become signals without a
// component, the others keep theirs, and from then on the table refuses an empty name itself.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

const COMPONENT_NAME_CHECK = 150

t.test('empty component names become null; afterwards the table refuses them', async t => {
  const { url } = await freshDatabase(t, { empty: true })
  const sql = ownerSql(t, url)
  await migrate(sql, MIGRATIONS_DIR, { before: COMPONENT_NAME_CHECK })

  const org = randomUUID()
  const insert = async (name: string | null, anomalyType: string, status = 'open') => {
    const [row] = await sql<Array<{ id: string }>>`
      insert into anomaly_signals (organization_id, anomaly_type, severity, source_type, source_component_name, status)
      values (${org}, ${anomalyType}, 'high', 'probe', ${name}, ${status}) returning id`
    return (row as { id: string }).id
  }
  const emptyOpen = await insert('', 'latency_spike')
  const emptyResolved = await insert('', 'error_rate_increase', 'resolved')
  const named = await insert('checkout', 'latency_spike')
  const unnamed = await insert(null, 'traffic_drop')

  const applied = await migrate(sql)
  t.same(applied[0], '0150_anomaly_component_name.sql', 'the migration ran over the empty names')
  const names = Object.fromEntries(
    (
      await sql<Array<{ id: string; source_component_name: string | null; status: string }>>`
      select id, source_component_name, status from anomaly_signals`
    ).map(row => [row.id, [row.source_component_name, row.status]])
  )
  t.same(
    names,
    {
      [emptyOpen]: [null, 'open'],
      [emptyResolved]: [null, 'resolved'],
      [named]: ['checkout', 'open'],
      [unnamed]: [null, 'open']
    },
    'empty names are null now, whatever the status; other names and statuses are unchanged'
  )

  for (const [label, name] of [
    ['an empty name', ''],
    ['a name over 200 characters', 'c'.repeat(201)]
  ] as const) {
    const refused = await insert(name, 'resource_exhaustion').catch((error: { code?: string }) => error)
    t.match(refused, { code: '23514', constraint_name: 'anomaly_signals_source_component_name_check' }, label)
  }
  t.ok(await insert('c'.repeat(200), 'resource_exhaustion'), '200 characters are a name')
})
