// What the catalog must say for row-level security to be the whole story: every table an
// API role can reach has it enabled and forced, no function runs with its owner's rights,
// and the roles the service queries as bypass nothing and own nothing.
import t from 'tap'
import { database } from './fixtures.js'

const API_ROLES = ['authenticated', 'service_role']

t.test('every table an API role can reach forces row-level security', async t => {
  const sql = await database(t)
  const tables = await sql<
    Array<{ name: string; rls: boolean; forced: boolean; partition: boolean; reachable: boolean }>
  >`
    select c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced, c.relispartition as partition,
      exists (
        select 1 from unnest(${API_ROLES}::text[]) r (role)
        where has_table_privilege(r.role, c.oid, 'select, insert, update, delete, truncate, references, trigger')
           or has_any_column_privilege(r.role, c.oid, 'select, insert, update, references')
      ) as reachable
    from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
    order by c.relname`
  t.ok(tables.length >= 11, 'the service tables exist')
  for (const table of tables) {
    if (table.reachable) {
      t.ok(table.rls && table.forced, `${table.name} is reachable by an API role and forces row-level security`)
    } else {
      t.pass(`${table.name} grants nothing to the API roles`)
    }
    if (table.partition) t.ok(table.rls, `${table.name} (a partition) denies direct access through row-level security`)
  }
  const expected = [
    'system_health_events',
    'anomaly_signals',
    'recovery_actions',
    'selftest_results',
    'execution_log',
    'decision_audit_log',
    'predictive_alerts',
    'refinement_history',
    'escalation_events'
  ]
  for (const name of expected) {
    const table = tables.find(row => row.name === name)
    t.ok(
      table?.reachable === true && table.forced,
      `${name} is served to the API roles under forced row-level security`
    )
  }
  t.notOk(tables.find(row => row.name === 'job_runs')?.reachable, "job_runs stays the connection owner's")
})

t.test('no function in the service schemas is SECURITY DEFINER', async t => {
  const sql = await database(t)
  const definers = await sql<Array<{ name: string }>>`
    select p.oid::regprocedure::text as name from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'core314'::regnamespace) and p.prosecdef`
  t.same(definers, [])
  const helpers = await sql<Array<{ name: string }>>`
    select p.proname as name from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname = any (${[
      'get_system_health_summary',
      'get_unhealthy_components',
      'get_performance_trends',
      'calculate_system_availability',
      'get_active_anomalies',
      'get_anomaly_statistics',
      'find_correlated_anomalies',
      'update_anomaly_status',
      'get_pending_recovery_actions',
      'get_recovery_action_statistics',
      'execute_recovery_action',
      'schedule_recovery_action_retry',
      'get_latest_selftest_results',
      'get_selftest_statistics',
      'get_selftest_trends',
      'compare_with_baseline'
    ]}::text[])`
  t.equal(helpers.length, 16, "the seed's sixteen helper functions exist")
})

t.test('the API roles bypass nothing and own nothing', async t => {
  const sql = await database(t)
  const roles = await sql<Array<{ name: string; super: boolean; bypass: boolean; login: boolean; owned: number }>>`
    select r.rolname as name, r.rolsuper as super, r.rolbypassrls as bypass, r.rolcanlogin as login,
      (select count(*)::integer from pg_class c where c.relowner = r.oid) +
      (select count(*)::integer from pg_proc p where p.proowner = r.oid) as owned
    from pg_roles r where r.rolname = any (${API_ROLES}::text[]) order by r.rolname`
  t.same(roles, [
    { name: 'authenticated', super: false, bypass: false, login: false, owned: 0 },
    { name: 'service_role', super: false, bypass: false, login: false, owned: 0 }
  ])
})

t.test("partition maintenance is the owner's alone", async t => {
  const sql = await database(t)
  const grants = await sql<Array<{ fn: string; role: string; allowed: boolean }>>`
    select f.fn, r.role, has_function_privilege(r.role, f.fn, 'execute') as allowed
    from unnest(array['core314.create_health_event_partitions(timestamptz, timestamptz)',
                      'core314.drop_health_event_partitions(timestamptz)']) f (fn)
    cross join unnest(${API_ROLES}::text[]) r (role)`
  for (const grant of grants) t.notOk(grant.allowed, `${grant.role} cannot execute ${grant.fn}`)
})
