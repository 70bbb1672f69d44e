// What the engine writes about a control target keeps its credentials out: a failed
// reset_connection on a database URL with passwords leaves none in the action, its result or
// the audit rows.
import t from 'tap'
import { closedPort } from '../../helpers/control-endpoint.js'
import { action, actionRow, setup } from './helpers.js'

t.test("a database target's passwords appear in no action row, result or audit row", async t => {
  const ctx = await setup(t)
  const port = await closedPort()
  const res = await ctx.app.inject({
    method: 'PUT',
    url: '/v1/components/orders-db',
    headers: ctx.service.headers,
    payload: {
      component_type: 'database',
      organization_id: null,
      database_url: `postgres://orders:hunter2pw@127.0.0.1:${port}/orders?password=hunter3pw`,
      application_name: 'orders-api'
    }
  })
  t.equal(res.statusCode, 200, res.body)
  const id = await action(ctx.sql, {
    action_type: 'reset_connection',
    target_component_name: 'orders-db',
    max_attempts: 1
  })
  await ctx.engine.runDue()

  const row = await actionRow(ctx.sql, id)
  t.match(row, {
    execution_status: 'failed',
    execution_error_code: 'NETWORK',
    execution_error: /the database could not be reached/
  })
  t.notMatch(String(row.execution_error), new RegExp(String(port)), 'no port: network failures read alike')
  const audit = await ctx.sql`select * from decision_audit_log where subject_id = ${id}`
  t.ok(audit.length > 0)
  t.notMatch(JSON.stringify([row, audit]), /hunter\dpw/)
})
