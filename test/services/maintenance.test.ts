// The maintenance job keeps health-event partitions ahead of time and purges expired keys.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { ownerSql } from '../helpers/database.js'

t.test("maintenance creates next months' partitions once and purges expired idempotency keys", async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const partitions = async () =>
    (
      await sql<Array<{ name: string }>>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'system_health_events'::regclass order by 1`
    ).map(row => row.name)
  const before = await partitions()
  await sql`insert into idempotency_keys (caller_key, idempotency_key, request_fingerprint, created_at)
    values ('service_role', 'old', 'x', now() - interval '25 hours'), ('service_role', 'fresh', 'x', now())`

  t.equal(await ctx.app.scheduler.tick('maintenance'), 'succeeded')
  const after = await partitions()
  const threeAhead = new Date()
  threeAhead.setUTCMonth(threeAhead.getUTCMonth() + 3, 1)
  const name = `system_health_events_${threeAhead.getUTCFullYear()}_${String(threeAhead.getUTCMonth() + 1).padStart(2, '0')}`
  t.ok(after.includes(name), `creates ${name}`)
  t.ok(after.length > before.length)
  t.same(
    (await sql`select idempotency_key from idempotency_keys`).map(row => row.idempotency_key),
    ['fresh']
  )

  t.equal(await ctx.app.scheduler.tick('maintenance', new Date(Date.now() + 3_600_000)), 'succeeded')
  t.same(await partitions(), after, 'a second run creates nothing new')
})
