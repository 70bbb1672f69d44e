// Exactly once across instances: two apps on one database share 50 due actions and the
// control endpoint acts on each exactly once; an instance that dies mid-action loses its
// lease and another takes the action over, and the late instance cannot overwrite it.
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { withCaller, SERVICE_CALLER } from '../../../src/db/caller.js'
import { claimDueActions, lockLeased } from '../../../src/db/healing-actions.js'
import { testConfig } from '../../helpers/app.js'
import { action, actionRow, engineFor, setup, until } from './helpers.js'

t.test('two instances and 50 due actions: every action delivered exactly once', async t => {
  const ctx = await setup(t, { batchSize: 5 })
  const ids = await Promise.all(Array.from({ length: 50 }, async () => await action(ctx.sql)))
  const second = await buildApp(testConfig({ databaseUrl: ctx.databaseUrl, healing: ctx.healing }), { logger: false })
  t.teardown(async () => {
    await second.close()
  })
  const engines = [ctx.engine, engineFor(second.db, ctx.healing)]

  const reports = await Promise.all(engines.map(async engine => await engine.runDue()))
  const attempted = reports.flatMap(report => report.attempts.map(attempt => attempt.id))
  t.equal(attempted.length, 50, 'each action attempted once')
  t.same(new Set(attempted), new Set(ids))
  t.ok(
    reports.every(report => report.attempts.length > 0),
    'both instances took a share'
  )
  t.equal(ctx.endpoint.requests.length, 50, 'fifty requests arrived')
  t.equal(ctx.endpoint.requests.filter(r => r.replayed).length, 0, 'none was a repeat')
  t.same(new Set(ctx.endpoint.effects), new Set(ids))
  t.equal(ctx.endpoint.effects.length, 50)
  const [counts] =
    await ctx.sql`select count(*) filter (where execution_status = 'succeeded')::int as done, max(attempt_number)::int as attempts from recovery_actions`
  t.same(counts, { done: 50, attempts: 1 })
})

t.test(
  'an instance that dies mid-action loses its lease; another takes over and the late one cannot finish it',
  async t => {
    const ctx = await setup(t, { leaseGraceMs: 0 })
    const id = await action(ctx.sql, { timeout_seconds: 1, retry_policy: { base_delay_seconds: 0, jitter: 0 } })
    // The dead instance claimed it and never came back.
    const [claimed] = await withCaller(
      ctx.app.db.sql,
      SERVICE_CALLER,
      async tx => await claimDueActions(tx, 10, { owner: 'dead-instance', graceMs: 0, includeAutomatic: true })
    )
    t.match(claimed, { id, execution_status: 'running', lease_owner: 'dead-instance', attempt_number: 1 })

    const whileLeased = await ctx.engine.runDue()
    t.same(whileLeased.attempts, [], 'nobody runs an action whose lease is live')
    t.equal(ctx.endpoint.requests.length, 0)

    const row = await until(async () => {
      const report = await ctx.engine.runDue()
      return report.attempts.length > 0 ? await actionRow(ctx.sql, id) : undefined
    })
    t.match(row, { execution_status: 'succeeded', attempt_number: 2, lease_owner: null })
    t.same(
      ctx.endpoint.requests.map(r => [r.attempt, r.idempotencyKey]),
      [[2, id]]
    )
    const [lapsed] =
      await ctx.sql`select outcome, reasoning from decision_audit_log where subject_id = ${id} and decision_type = 'attempt' order by created_at limit 1`
    t.match(lapsed, { outcome: 'succeeded' })
    const lateWrite = await withCaller(
      ctx.app.db.sql,
      SERVICE_CALLER,
      async tx => await lockLeased(tx, id, 'dead-instance')
    )
    t.equal(lateWrite, false, 'the dead instance can no longer write an outcome')
    t.match(
      await ctx.sql`select execution_error_code from recovery_actions where id = ${id}`,
      [{ execution_error_code: 'LEASE_EXPIRED' }],
      'the lost attempt is on record'
    )
  }
)
