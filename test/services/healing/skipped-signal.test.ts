// Regression: one open signal whose action the database refused (an empty component name, which
// recovery_actions does not take as a target) failed every heal tick and every POST
// /v1/self-healing/run, so no organization's signals were acted on until it was resolved. Such a
// signal is now skipped alone, recorded, counted, and tried again on the next run; so is one
// whose planning fails in the service itself, in a preview too. A signal skipped on every run
// is recorded once for the streak, not once a tick.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Sql } from '../../../src/db/client.js'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { anomaly } from './helpers.js'

const REFUSED = /violates check constraint "recovery_actions_target_component_name_check"/

// Migration 0150 refuses an empty name now: this is a signal stored before it, standing for any
// signal whose action the database refuses.
async function emptyNamed(sql: Sql, organizationId: string): Promise<string> {
  await sql`alter table anomaly_signals drop constraint if exists anomaly_signals_source_component_name_check`
  return await anomaly(sql, {
    organization_id: organizationId,
    severity: 'high',
    source_type: 'probe',
    source_component_name: ''
  })
}

async function run(ctx: TestApp, payload: Record<string, unknown>) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/self-healing/run',
    headers: ctx.service.headers,
    payload
  })
  return { status: res.statusCode, body: res.json() }
}

async function skippedCount(ctx: TestApp): Promise<number> {
  const res = await ctx.app.inject('/metrics')
  const line = /^core314_healing_signals_skipped_total (\d+)$/m.exec(res.body)
  if (line === null) throw new Error('core314_healing_signals_skipped_total is not exposed')
  return Number(line[1])
}

async function skips(sql: Sql) {
  return await sql<Array<{ subject_id: string; organization_id: string; outcome: string; reasoning: string }>>`
    select subject_id, organization_id, outcome, reasoning from decision_audit_log
    where decision_type = 'action_chosen' and subject_type = 'anomaly_signal' order by created_at`
}

t.test("a heal tick skips the signal it cannot store an action for and heals another organization's", async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const [badOrganization, goodOrganization] = [randomUUID(), randomUUID()]
  const bad = await emptyNamed(sql, badOrganization)
  const good = await anomaly(sql, { organization_id: goodOrganization })

  t.equal(await ctx.app.scheduler.tick('heal'), 'succeeded')
  t.same(await sql`select job_name, last_outcome from job_runs`, [{ job_name: 'heal', last_outcome: 'succeeded' }])
  t.same(
    (await sql`select triggered_by_anomaly_id from recovery_actions where trigger_type = 'automatic'`).map(
      row => row.triggered_by_anomaly_id
    ),
    [good],
    'the other organization got its action'
  )
  const [skip, ...more] = await skips(sql)
  t.same(more, [], 'one skip recorded')
  t.match(skip, { subject_id: bad, organization_id: badOrganization, outcome: 'skipped', reasoning: REFUSED })
  t.match(await sql`select status, triggered_recovery_action_id from anomaly_signals where id = ${bad}`, [
    { status: 'open', triggered_recovery_action_id: null }
  ])
})

t.test('POST /v1/self-healing/run decides for the others and lists the skipped signal, on every run', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const bad = await emptyNamed(sql, randomUUID())
  const good = await anomaly(sql, { organization_id: randomUUID() })

  t.equal(await skippedCount(ctx), 0)
  const first = await run(ctx, {})
  t.equal(first.status, 200, JSON.stringify(first.body))
  t.match(first.body.decisions, [{ anomaly_id: good, action_id: String }])
  t.equal(first.body.decisions.length, 1)
  t.match(first.body.skipped, [{ anomaly_id: bad, reason: REFUSED }])
  t.equal(first.body.skipped.length, 1)

  const named = await run(ctx, { anomaly_id: bad })
  t.equal(named.status, 200, 'asked for by id, it is tried again and skipped again')
  t.same(named.body.decisions, [])
  t.match(named.body.skipped, [{ anomaly_id: bad, reason: REFUSED }])
  t.equal(await skippedCount(ctx), 2, 'each run counts its skip')
  t.equal((await skips(sql)).length, 1, 'the audit log holds one entry for the streak')

  await sql`insert into decision_audit_log (decision_type, component, subject_type, subject_id, outcome)
    values ('guard_held', 'self-healing-engine', 'anomaly_signal', ${bad}, 'held')`
  await run(ctx, { anomaly_id: bad })
  t.equal((await skips(sql)).length, 2, 'after another decision about it, a skip is recorded again')
})

t.test('a fault in planning one signal skips it, in a run and in a preview, with no details leaked', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const broken = randomUUID()
  // A runbook the API would have refused (it has no trigger), stored directly: matching it throws.
  await sql`insert into runbooks (organization_id, name, version, document) values (${broken}, 'broken', 1, '{}')`
  const faulty = await anomaly(sql, { organization_id: broken })
  const good = await anomaly(sql, { organization_id: randomUUID() })
  const fault = /a fault in the service; its log has the details/

  const previewed = await run(ctx, { dry_run: true })
  t.equal(previewed.status, 200, JSON.stringify(previewed.body))
  t.match(previewed.body, {
    dry_run: true,
    decisions: [{ anomaly_id: good, action_id: null }],
    skipped: [{ anomaly_id: faulty, reason: fault }]
  })
  t.same(await skips(sql), [], 'a preview records nothing')

  const decided = await run(ctx, {})
  t.equal(decided.status, 200, JSON.stringify(decided.body))
  t.match(decided.body, { decisions: [{ anomaly_id: good }], skipped: [{ anomaly_id: faulty, reason: fault }] })
  t.equal(decided.body.decisions.length, 1)
  t.match(await skips(sql), [{ subject_id: faulty, organization_id: broken, outcome: 'skipped' }])
  t.notMatch(decided.body.skipped[0].reason, /undefined|TypeError/, 'the error itself stays in the log')
})
