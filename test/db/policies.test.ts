// Every policy both ways, on every table: what a user, another user, an admin and the
// service role may read, insert, update and delete, and what they may not; and that broken
// claims see and write nothing. Each attempt runs through withCaller, as the service does.
import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import type { Sql } from '../../src/db/client.js'
import { ORG, OTHER_USER, USER, as, asRaw, brokenClaims, database, everyone, failure, type Who } from './fixtures.js'

interface TableSpec {
  table: string
  /** Columns a row needs besides its owner; a function so unique values can differ per row. */
  row: () => Record<string, string>
  /** A column and a new value for the update attempts. */
  change: [string, string]
  insert: Who[]
  update: Who[]
  delete: Who[]
  /** A user reads their own rows only within their organization (the fixtures' other user is in another one). */
  ownOrganizationOnly?: boolean
  /** Members read every row of their organization (predictive alerts: migration 0090). */
  membersReadOrganization?: boolean
}

const specs: TableSpec[] = [
  {
    table: 'system_health_events',
    row: () => ({ component_type: 'api', component_name: 'checkout', status: 'healthy' }),
    change: ['component_version', '2.0.0'],
    insert: ['service'],
    update: ['service'],
    delete: []
  },
  {
    table: 'anomaly_signals',
    row: () => ({
      anomaly_type: 'latency_spike',
      severity: 'high',
      source_type: 'health_event',
      source_component_name: `svc-${randomUUID()}`
    }),
    change: ['resolution_notes', 'looked at it'],
    insert: ['service'],
    update: ['user', 'admin', 'service'],
    delete: [],
    ownOrganizationOnly: true
  },
  {
    table: 'recovery_actions',
    row: () => ({ action_type: 'clear_cache', target_component_name: 'checkout' }),
    change: ['approval_notes', 'fine by me'],
    insert: ['admin', 'service'],
    update: ['admin', 'service'],
    delete: []
  },
  {
    table: 'selftest_results',
    row: () => ({ test_name: 'database_latency', test_category: 'database' }),
    change: ['test_summary', 'all good'],
    insert: ['service'],
    update: ['service'],
    delete: ['admin', 'service']
  },
  {
    table: 'execution_log',
    row: () => ({ function_name: 'fusion-score', status: 'success' }),
    change: ['error_message', 'rewritten'],
    insert: ['service'],
    update: [],
    delete: []
  },
  {
    table: 'decision_audit_log',
    row: () => ({ decision_type: 'monitor_run', component: 'monitor' }),
    change: ['reasoning', 'rewritten'],
    insert: ['service'],
    update: [],
    delete: []
  },
  {
    table: 'predictive_alerts',
    row: () => ({ alert_type: 'forecast_deviation', metric_name: 'latency_ms' }),
    change: ['message', 'updated'],
    insert: ['service'],
    update: ['service'],
    delete: [],
    membersReadOrganization: true
  },
  {
    table: 'refinement_history',
    row: () => ({ model_name: 'latency-forecast', refinement_type: 'recalibration' }),
    change: ['reason', 'rewritten'],
    insert: ['service'],
    update: [],
    delete: []
  },
  {
    table: 'escalation_events',
    row: () => ({ source_type: 'anomaly_signal', severity: 'high', title: 'checkout is slow' }),
    change: ['description', 'still slow'],
    insert: ['service'],
    update: ['service'],
    delete: []
  }
]

async function arrange(sql: Sql, spec: TableSpec, owner: string | null): Promise<string> {
  const row = { ...spec.row(), user_id: owner, organization_id: ORG }
  const [inserted] = await sql<Array<{ id: string }>>`insert into ${sql(spec.table)} ${sql(row)} returning id`
  return inserted!.id
}

/** 'allowed' when the statement touched the row; 'refused' when it raised 42501 or touched nothing. */
function outcome(t: Test, result: { count: number } | { code: string; message: string }): 'allowed' | 'refused' {
  if ('code' in result) {
    t.equal(result.code, '42501', `refused with insufficient privilege (${result.message})`)
    return 'refused'
  }
  return result.count === 1 ? 'allowed' : 'refused'
}

async function attempt(
  work: Promise<{ count: number }>
): Promise<{ count: number } | { code: string; message: string }> {
  let count = 0
  const error = await failure(
    work.then(result => {
      count = result.count
    })
  )
  return error ?? { count }
}

for (const spec of specs) {
  t.test(spec.table, async t => {
    const sql = await database(t)

    t.test('users read their own rows, admins and the service role read all', async t => {
      const mine = await arrange(sql, spec, USER)
      const theirs = await arrange(sql, spec, OTHER_USER)
      const systems = await arrange(sql, spec, null)
      const expected: Record<Who, string[]> = {
        user: spec.membersReadOrganization === true ? [mine, theirs, systems] : [mine],
        other: spec.ownOrganizationOnly === true ? [] : [theirs],
        admin: [mine, theirs, systems],
        service: [mine, theirs, systems]
      }
      for (const who of everyone) {
        const rows = await as(
          sql,
          who,
          async tx =>
            await tx<
              Array<{ id: string }>
            >`select id from ${tx(spec.table)} where id = any (${[mine, theirs, systems]}::uuid[])`
        )
        t.same(
          rows.map(row => row.id).sort(),
          expected[who].sort(),
          `${who} reads ${expected[who].length} of the 3 rows`
        )
      }
    })

    t.test('broken claims read and write nothing', async t => {
      await arrange(sql, spec, USER)
      for (const variant of brokenClaims) {
        const rows = await asRaw(
          sql,
          variant.role,
          variant.claims,
          async tx => await tx`select id from ${tx(spec.table)}`
        )
        t.equal(rows.length, 0, `${variant.name}: reads nothing`)
        const insert = await failure(
          asRaw(
            sql,
            variant.role,
            variant.claims,
            async tx => await tx`insert into ${tx(spec.table)} ${tx({ ...spec.row(), user_id: USER })}`
          )
        )
        t.equal(insert?.code, '42501', `${variant.name}: cannot insert`)
      }
    })

    t.test('inserts', async t => {
      for (const who of everyone) {
        const result = await attempt(
          as(
            sql,
            who,
            async tx =>
              await tx`insert into ${tx(spec.table)} ${tx({ ...spec.row(), user_id: USER, organization_id: ORG })}`
          )
        )
        t.equal(
          outcome(t, result),
          spec.insert.includes(who) ? 'allowed' : 'refused',
          `${who} ${spec.insert.includes(who) ? 'may' : 'may not'} insert`
        )
      }
    })

    t.test("updates of a user's row", async t => {
      const [column, value] = spec.change
      for (const who of everyone) {
        const id = await arrange(sql, spec, USER)
        const result = await attempt(
          as(sql, who, async tx => await tx`update ${tx(spec.table)} set ${tx(column)} = ${value} where id = ${id}`)
        )
        const allowed = spec.update.includes(who)
        t.equal(outcome(t, result), allowed ? 'allowed' : 'refused', `${who} ${allowed ? 'may' : 'may not'} update`)
        const [row] = await sql<
          Array<{ value: string | null }>
        >`select ${sql(column)} as value from ${sql(spec.table)} where id = ${id}`
        t.equal(row?.value === value, allowed, `the row ${allowed ? 'changed' : 'did not change'}`)
      }
    })

    t.test('users cannot move a row to another owner', async t => {
      const id = await arrange(sql, spec, USER)
      for (const who of ['user', 'other'] as const) {
        const result = await attempt(
          as(sql, who, async tx => await tx`update ${tx(spec.table)} set user_id = ${OTHER_USER} where id = ${id}`)
        )
        t.equal(outcome(t, result), 'refused', `${who} cannot change the owner`)
      }
      const [row] = await sql<Array<{ user_id: string }>>`select user_id from ${sql(spec.table)} where id = ${id}`
      t.equal(row?.user_id, USER)
    })

    t.test('deletes', async t => {
      for (const who of everyone) {
        const id = await arrange(sql, spec, USER)
        const result = await attempt(as(sql, who, async tx => await tx`delete from ${tx(spec.table)} where id = ${id}`))
        const allowed = spec.delete.includes(who)
        t.equal(outcome(t, result), allowed ? 'allowed' : 'refused', `${who} ${allowed ? 'may' : 'may not'} delete`)
        const rows = await sql`select 1 from ${sql(spec.table)} where id = ${id}`
        t.equal(rows.length, allowed ? 0 : 1, `the row ${allowed ? 'is gone' : 'remains'}`)
      }
    })
  })
}
