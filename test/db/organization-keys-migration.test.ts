// Migration 0045 (organization in every key) on a database that already holds rows: the
// registry, the breakers and the detector's signals written under the old keys are all still
// there afterwards, each with its organization, and the new keys take a second organization's
// component of the same name beside the first instead of over it.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

const ORGANIZATION_KEYS = 45

t.test('rows stored under the name-only keys survive the move to (organization, name)', async t => {
  const { url } = await freshDatabase(t, { empty: true })
  const sql = ownerSql(t, url)
  await migrate(sql, MIGRATIONS_DIR, { before: ORGANIZATION_KEYS })

  const org = randomUUID()
  const owner = randomUUID()
  const colleague = randomUUID()
  await sql`insert into components (component_name, component_type, organization_id, webhook_url, webhook_secret, redis_url, key_prefix)
    values ('orchestrate-flow', 'edge_function', ${org}, 'https://control.example.com/of', 'a-long-shared-secret-0123', 'redis://cache:6379/1', 'of:'),
      ('postgres', 'database', null, null, null, null, null)`
  await sql`insert into circuit_breakers (component_name, organization_id, state, opened_at, next_probe_at, reason)
    values ('orchestrate-flow', ${org}, 'open', now(), now() + interval '1 minute', 'tripped before the upgrade')`
  const [detected] = await sql<Array<{ id: string }>>`
    insert into anomaly_signals (user_id, organization_id, anomaly_type, severity, source_type, source_component_name, metadata)
    values (${owner}, ${org}, 'latency_spike', 'high', 'system_health_events', 'orchestrate-flow', '{"detector": "core314-detector", "metric": "latency_ms"}')
    returning id`
  const [posted] = await sql<Array<{ id: string }>>`
    insert into anomaly_signals (user_id, organization_id, anomaly_type, severity, source_type, source_component_name)
    values (${colleague}, ${org}, 'error_rate_increase', 'high', 'system_health_events', 'orchestrate-flow')
    returning id`
  await sql`insert into system_health_events (organization_id, component_type, component_name, status, latency_ms)
    select ${org}, 'edge_function', 'orchestrate-flow', 'healthy', 100 + i from generate_series(1, 50) i`

  const applied = await migrate(sql)
  t.ok(applied.includes('0045_organization_keys.sql'), 'the migration ran on the populated database')

  t.same(
    await sql`select organization_id, component_name, webhook_secret, key_prefix from components order by component_name`,
    [
      {
        organization_id: org,
        component_name: 'orchestrate-flow',
        webhook_secret: 'a-long-shared-secret-0123',
        key_prefix: 'of:'
      },
      { organization_id: null, component_name: 'postgres', webhook_secret: null, key_prefix: null }
    ],
    'every registration kept, secret and organization included'
  )
  t.match(await sql`select organization_id, component_name, state, reason from circuit_breakers`, [
    { organization_id: org, component_name: 'orchestrate-flow', state: 'open', reason: 'tripped before the upgrade' }
  ])
  t.equal((await sql`select count(*)::int as n from system_health_events`)[0]?.n, 50)

  const signals = await sql<
    Array<{ id: string; user_id: string | null; metadata: Record<string, unknown> }>
  >`select id, user_id, metadata from anomaly_signals`
  const byId = new Map(signals.map(row => [row.id, row]))
  t.match(
    byId.get(detected?.id ?? ''),
    { user_id: null, metadata: { detector: 'core314-detector', owner_before_organization_keys: owner } },
    "the detector's signal became organization-wide, its former owner on record"
  )
  t.match(byId.get(posted?.id ?? ''), { user_id: colleague }, 'a signal a service posted for a user keeps its owner')

  const other = randomUUID()
  await sql`insert into components (component_name, component_type, organization_id) values ('orchestrate-flow', 'edge_function', ${other})`
  await sql`insert into circuit_breakers (component_name, organization_id) values ('orchestrate-flow', ${other})`
  t.equal(
    (await sql`select count(*)::int as n from components where component_name = 'orchestrate-flow'`)[0]?.n,
    2,
    'the same name in another organization is another component'
  )
  const duplicate =
    await sql`insert into components (component_name, component_type, organization_id) values ('postgres', 'database', null)`.catch(
      (error: { code?: string }) => error
    )
  t.match(
    duplicate,
    { code: '23505' },
    "the platform's components stay unique by name (null organizations are not distinct)"
  )
})
