// The heal job runs the app's one healing engine: a tick succeeds and records itself.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { ownerSql } from '../helpers/database.js'

t.test("a heal tick runs the shared engine's due work", async t => {
  const ctx = await buildTestApp(t)
  t.equal(await ctx.app.scheduler.tick('heal'), 'succeeded')
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(await sql`select job_name, last_outcome from job_runs`, [{ job_name: 'heal', last_outcome: 'succeeded' }])
})
