// RLS isolation canary: two synthetic users of two organizations, one row each in two tables,
// inside one transaction that is always rolled back. Each user must see exactly their own
// row, an admin both, and neither user may change the other's. This is PostgreSQL's policy
// check, exercised the way requests use it (role and claims set locally), so a dropped or
// loosened policy shows up here before a customer sees someone else's data.
import { randomUUID } from 'node:crypto'
import { SERVICE_CALLER } from '../../../db/caller.js'
import type { Tx } from '../../../db/client.js'
import { reason } from '../assertions.js'
import type { SelftestDefinition } from '../types.js'

const TABLES = ['selftest_results', 'anomaly_signals'] as const
type Table = (typeof TABLES)[number]

class RollBack extends Error {}

interface Person {
  id: string
  organizationId: string
  admin: boolean
}

async function actAs(tx: Tx, person: Person | 'service'): Promise<void> {
  const claims =
    person === 'service'
      ? { role: 'service_role' }
      : {
          sub: person.id,
          role: 'authenticated',
          app_metadata: { organization_id: person.organizationId, ...(person.admin ? { role: 'admin' } : {}) }
        }
  await tx`select set_config('role', ${person === 'service' ? 'service_role' : 'authenticated'}, true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`
}

async function insertCanary(tx: Tx, table: Table, person: Person): Promise<string> {
  const [row] =
    table === 'selftest_results'
      ? await tx<{ id: string }[]>`
        insert into selftest_results (user_id, organization_id, test_name, test_category, execution_mode, execution_status)
        values (${person.id}, ${person.organizationId}, 'rls_isolation_canary', 'security', 'manual', 'running') returning id`
      : await tx<{ id: string }[]>`
        insert into anomaly_signals (user_id, organization_id, anomaly_type, severity, source_type, source_component_name)
        values (${person.id}, ${person.organizationId}, 'rls_isolation_canary', 'low', 'selftest', ${`selftest:rls_isolation:${person.id}`}) returning id`
  if (row === undefined) throw new Error(`the canary row in ${table} was not inserted`)
  return row.id
}

async function visible(tx: Tx, table: Table, ids: string[]): Promise<string[]> {
  return (await tx<{ id: string }[]>`select id from ${tx(table)} where id in ${tx(ids)} order by id`).map(row => row.id)
}

export const rlsIsolation: SelftestDefinition = {
  name: 'rls_isolation',
  category: 'security',
  type: 'canary',
  description:
    "Two synthetic users, one row each in selftest_results and anomaly_signals, in a transaction that is rolled back: each user sees only their own row, an admin sees both, a user cannot change the other's row, and nothing is left behind.",
  version: '1.0.0',
  defaultSchedule: null,
  timeoutSeconds: 15,
  failureSeverity: 'critical',
  target: { componentType: 'database', componentName: 'row_level_security' },
  parameters: () => ({ tables: [...TABLES] }),
  run: async ({ db, assert }) => {
    const alice: Person = { id: randomUUID(), organizationId: randomUUID(), admin: false }
    const bob: Person = { id: randomUUID(), organizationId: randomUUID(), admin: false }
    const admin: Person = { id: randomUUID(), organizationId: alice.organizationId, admin: true }
    const rows = new Map<Table, { alice: string; bob: string }>()
    const security = {
      security: true,
      recommendation:
        'Restore the row-level security policies of the table from its migration; until then treat its data as exposed'
    }
    try {
      await db.sql.begin(async tx => {
        await actAs(tx, 'service')
        for (const table of TABLES)
          rows.set(table, { alice: await insertCanary(tx, table, alice), bob: await insertCanary(tx, table, bob) })
        for (const table of TABLES) {
          const ids = rows.get(table) as { alice: string; bob: string }
          const both = [ids.alice, ids.bob].sort()
          for (const [person, own, label] of [
            [alice, ids.alice, 'first'],
            [bob, ids.bob, 'second']
          ] as const) {
            await actAs(tx, person)
            const seen = (await assert.probe(async () => await visible(tx, table, both))).value
            assert.check(
              `${table}_${label}_user_sees_own_row`,
              seen.includes(own),
              {
                pass: `the ${label} user sees their own row`,
                fail: `the ${label} user does not see their own row`
              },
              security
            )
            assert.check(
              `${table}_${label}_user_sees_no_other_row`,
              seen.every(id => id === own),
              {
                pass: `the ${label} user sees no one else's row`,
                fail: `the ${label} user sees another user's row`
              },
              security
            )
          }
          await actAs(tx, alice)
          const changed =
            table === 'anomaly_signals'
              ? (await tx`update anomaly_signals set status = 'acknowledged' where id = ${ids.bob} returning id`).length
              : (await tx`delete from selftest_results where id = ${ids.bob} returning id`).length
          assert.check(
            `${table}_user_cannot_change_other_row`,
            changed === 0,
            {
              pass: "a user cannot change another user's row",
              fail: "a user changed another user's row"
            },
            security
          )
          await actAs(tx, admin)
          const seen = await visible(tx, table, both)
          assert.check(
            `${table}_admin_sees_all_rows`,
            seen.length === 2,
            {
              pass: "an admin sees both users' rows",
              fail: `an admin sees ${seen.length} of the 2 rows`
            },
            { recommendation: 'Restore the "admins read all rows" policy from the table\'s migration' }
          )
        }
        throw new RollBack()
      })
    } catch (error) {
      if (!(error instanceof RollBack)) {
        assert.fail('rls_canary_ran', `the canary transaction failed: ${reason(error)}`, {
          ...security,
          recommendation: 'Check the grants and policies of selftest_results and anomaly_signals'
        })
      }
    }
    const ids = [...rows.values()].flatMap(pair => [pair.alice, pair.bob])
    if (ids.length === 0) return
    const left = await db.asCaller(
      SERVICE_CALLER,
      async tx =>
        await tx<{ id: string }[]>`
      select id from selftest_results where id in ${tx(ids)} union all select id from anomaly_signals where id in ${tx(ids)}`
    )
    assert.check('canary_rows_rolled_back', left.length === 0, {
      pass: 'no canary row is left behind',
      fail: `${left.length} canary rows were left behind`
    })
  }
}
