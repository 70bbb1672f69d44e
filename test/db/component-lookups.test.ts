// The per-component reads the monitor and the healing engine make, with two organizations and
// the platform all reporting a component of the same name: each lookup answers from its own
// organization's events only (the monitor's latency baseline, the engine's latest health).
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { SERVICE_CALLER, withCaller } from '../../src/db/caller.js'
import { latestHealth } from '../../src/db/component-health.js'
import { latencyBaselines } from '../../src/db/latency-baselines.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

t.test('latency baselines and latest health are read per organization', async t => {
  const { url } = await freshDatabase(t)
  const sql = ownerSql(t, url)
  const one = randomUUID()
  const two = randomUUID()
  const p95 = { [one]: 800, [two]: 120, platform: 3000 }
  for (const [organization, latency] of Object.entries(p95)) {
    await sql`insert into system_health_events (organization_id, component_type, component_name, status, latency_p95_ms, created_at)
      select ${organization === 'platform' ? null : organization}::uuid, 'edge_function', 'api', 'healthy', ${latency} + i, now() - i * interval '1 minute'
      from generate_series(1, 5) i`
  }
  const since = new Date(Date.now() - 3_600_000)
  const rows = await withCaller(
    sql,
    SERVICE_CALLER,
    async tx =>
      await latencyBaselines(
        tx,
        [
          { organization_id: one, component_type: 'edge_function', component_name: 'api' },
          { organization_id: two, component_type: 'edge_function', component_name: 'api' },
          { organization_id: null, component_type: 'edge_function', component_name: 'api' }
        ],
        { since, maxEvents: 10 }
      )
  )
  t.same(
    rows.map(row => [row.organization_id, row.events, row.latency_p95_ms]),
    [
      [one, 5, 803],
      [two, 5, 123],
      [null, 5, 3003]
    ],
    "each organization's median of its own five events"
  )

  const latest = await withCaller(
    sql,
    SERVICE_CALLER,
    async tx =>
      await Promise.all(
        [one, two, null].map(
          async organizationId =>
            (await latestHealth(tx, { organizationId, componentName: 'api' }, null))?.latency_p95_ms
        )
      )
  )
  t.same(latest, [801, 121, 3001], "the newest event of each organization's component")
})
