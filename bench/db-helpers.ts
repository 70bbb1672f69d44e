// `npm run bench:db`: the seed's sixteen helper functions at production-like volume. Fills a
// fresh database (on DATABASE_URL's server, or an embedded PostgreSQL under .data/bench) with
// a million health events over 30 days and 500 components and 100k rows of each other table,
// then prints each function's median time as the service role and as a user, and which
// indexes its plans use (auto_explain of every statement it runs, nested ones included).
// The seed's target is 500 ms; ours is 50 ms.
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import postgres from 'postgres'
import { SERVICE_CALLER, type Caller } from '../src/db/caller.js'
import { createSql, type Sql, type Tx } from '../src/db/client.js'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js'
import { migrate } from '../src/db/migrate.js'
import { reportFigure } from './support/figures.js'

const RUNS = 7
const TARGET_MS = 50
const BENCH_PORT = 54372

interface Case {
  name: string
  /** Runs the call; rolled back afterwards, so mutating functions can be timed repeatedly. */
  call: (tx: Tx, ids: Ids) => Promise<unknown>
  /** Whether a user may call it (the recovery mutators are the service's and admins'). */
  user: boolean
}

interface Ids { user: string, anomaly: string, userAnomaly: string, pendingAction: string, failedAction: string, selftest: string }

const cases: Case[] = [
  { name: 'get_system_health_summary', user: true, call: async (tx) => await tx`select * from get_system_health_summary()` },
  { name: 'get_unhealthy_components', user: true, call: async (tx) => await tx`select * from get_unhealthy_components()` },
  { name: 'get_performance_trends (one component, 24 h)', user: true, call: async (tx) => await tx`select * from get_performance_trends('svc-007')` },
  { name: 'get_performance_trends (all, 1 h)', user: true, call: async (tx) => await tx`select * from get_performance_trends(null, now() - interval '1 hour', now(), interval '5 minutes')` },
  { name: 'calculate_system_availability', user: true, call: async (tx) => await tx`select * from calculate_system_availability()` },
  { name: 'get_active_anomalies', user: true, call: async (tx) => await tx`select * from get_active_anomalies()` },
  { name: 'get_anomaly_statistics', user: true, call: async (tx) => await tx`select * from get_anomaly_statistics()` },
  { name: 'find_correlated_anomalies', user: true, call: async (tx, ids) => await tx`select * from find_correlated_anomalies(${ids.userAnomaly})` },
  { name: 'update_anomaly_status', user: true, call: async (tx, ids) => await tx`select * from update_anomaly_status(${ids.userAnomaly}, 'resolved', 'bench')` },
  { name: 'get_pending_recovery_actions', user: true, call: async (tx) => await tx`select * from get_pending_recovery_actions()` },
  { name: 'get_recovery_action_statistics', user: true, call: async (tx) => await tx`select * from get_recovery_action_statistics()` },
  { name: 'execute_recovery_action', user: false, call: async (tx, ids) => await tx`select * from execute_recovery_action(${ids.pendingAction}, 'running')` },
  { name: 'schedule_recovery_action_retry', user: false, call: async (tx, ids) => await tx`select * from schedule_recovery_action_retry(${ids.failedAction})` },
  { name: 'get_latest_selftest_results', user: true, call: async (tx) => await tx`select * from get_latest_selftest_results()` },
  { name: 'get_selftest_statistics', user: true, call: async (tx) => await tx`select * from get_selftest_statistics()` },
  { name: 'get_selftest_trends', user: true, call: async (tx) => await tx`select * from get_selftest_trends()` },
  { name: 'compare_with_baseline', user: true, call: async (tx, ids) => await tx`select * from compare_with_baseline(${ids.selftest})` }
]

class Rollback extends Error {}

async function asCaller (sql: Sql, caller: Caller, work: (tx: Tx) => Promise<void>): Promise<void> {
  try {
    await sql.begin(async (tx) => {
      await tx`select set_config('role', ${caller.role}, true), set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true)`
      await work(tx)
      throw new Rollback()
    })
  } catch (error) {
    if (!(error instanceof Rollback)) throw error
  }
}

async function timed (sql: Sql, caller: Caller, ids: Ids, work: Case['call']): Promise<number> {
  const times: number[] = []
  for (let run = 0; run <= RUNS; run++) {
    await asCaller(sql, caller, async (tx) => {
      const start = performance.now()
      await work(tx, ids)
      if (run > 0) times.push(performance.now() - start)
    })
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

interface PlanNode { 'Node Type': string, 'Index Name'?: string, 'Relation Name'?: string, Plans?: PlanNode[] }

function scans (node: PlanNode, found: { indexes: Set<string>, seq: Set<string> }): void {
  if (node['Index Name'] !== undefined) found.indexes.add(node['Index Name'])
  if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] !== undefined) found.seq.add(node['Relation Name'])
  for (const child of node.Plans ?? []) scans(child, found)
}

/** How each relation is reported: a partition's index or table by its parent's name; and
 * which relations are big enough for a sequential scan to matter. */
interface Relations { names: Map<string, string>, big: Set<string> }

async function relations (sql: Sql): Promise<Relations> {
  const parents = await sql<Array<{ child: string, parent: string }>>`
    select c.relname as child, p.relname as parent
    from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent`
  const big = await sql<Array<{ name: string }>>`
    select relname as name from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace and reltuples > 1000`
  return { names: new Map(parents.map((row) => [row.child, row.parent])), big: new Set(big.map((row) => row.name)) }
}

/** The indexes and sequential scans in the plans of every statement the call runs. */
async function planOf (url: string, caller: Caller, ids: Ids, work: Case['call'], known: Relations): Promise<string> {
  const plans: string[] = []
  const sql = postgres(url, { max: 1, onnotice: (notice) => { if (typeof notice.message === 'string' && notice.message.includes('"Plan"')) plans.push(notice.message) } })
  try {
    await sql`load 'auto_explain'`
    await sql`set auto_explain.log_min_duration = 0`
    await sql`set auto_explain.log_nested_statements = on`
    await sql`set auto_explain.log_format = 'json'`
    await sql`set auto_explain.log_level = 'notice'`
    await asCaller(sql, caller, async (tx) => { await work(tx, ids) })
  } catch {
    return 'n/a (auto_explain needs a superuser)'
  } finally {
    await sql.end()
  }
  const found = { indexes: new Set<string>(), seq: new Set<string>() }
  for (const text of plans) {
    const json = JSON.parse(text.slice(text.indexOf('{'))) as { Plan: PlanNode }
    scans(json.Plan, found)
  }
  const indexes = new Set([...found.indexes].map((name) => known.names.get(name) ?? name))
  const seq = new Set([...found.seq].filter((name) => known.big.has(name)).map((name) => known.names.get(name) ?? name))
  return `${indexes.size > 0 ? [...indexes].join(', ') : 'no index'}${seq.size > 0 ? '; SEQ SCAN ' + [...seq].join(', ') : ''}`
}

async function fill (sql: Sql): Promise<void> {
  // Rows are written as the service role, so this works on any server, not only as a superuser.
  // Deterministic ids (md5 of a label) let the other tables refer to them.
  for (let batch = 0; batch < 10; batch++) {
    await commitAs(sql, `health events ${batch + 1}/10`, async (tx) => await tx`
      insert into system_health_events (user_id, organization_id, component_type, component_name, environment, status,
        availability_percentage, latency_ms, latency_p50_ms, latency_p95_ms, latency_p99_ms, throughput_per_minute,
        error_count, error_rate, cpu_usage_percent, memory_usage_percent, created_at)
      select
        case when i % 5 = 0 then md5('user' || (i % 1000))::uuid end,
        md5('org' || (c % 50))::uuid,
        (array['edge_function', 'database', 'integration', 'api', 'worker'])[c % 5 + 1],
        'svc-' || lpad(c::text, 3, '0'),
        'production',
        s.status,
        case s.status when 'healthy' then 100 when 'degraded' then 99 - 4 * r2 when 'unhealthy' then 90 - 20 * r2 else 50 * r2 end,
        l.latency, l.latency * 0.8, l.latency * 1.8, l.latency * 2.5,
        500 + 400 * r2,
        (e.rate * 5)::integer, e.rate,
        least(100, 20 + 60 * r2 + case when s.status <> 'healthy' then 20 else 0 end),
        least(100, 30 + 50 * r2),
        now() - interval '30 days' + (i / 1e6) * interval '30 days'
      from generate_series(${batch * 100_000 + 1}::integer, ${(batch + 1) * 100_000}::integer) i
      cross join lateral (select i % 500 as c, random() as r1, random() as r2) v
      cross join lateral (select case when r1 < 0.90 then 'healthy' when r1 < 0.96 then 'degraded' when r1 < 0.99 then 'unhealthy' else 'critical' end as status) s
      cross join lateral (select round((exp(ln(120) + 0.5 * sqrt(-2 * ln(greatest(random(), 1e-9))) * cos(2 * pi() * random()))
        * case s.status when 'healthy' then 1 when 'degraded' then 2 when 'unhealthy' then 8 else 20 end)::numeric, 2) as latency) l
      cross join lateral (select round((case when s.status = 'healthy' then 0.5 * r2 else 5 + 30 * r2 end)::numeric, 2) as rate) e`)
  }
  await commitAs(sql, 'anomaly signals', async (tx) => await tx`
    insert into anomaly_signals (id, user_id, organization_id, anomaly_type, severity, confidence_score, source_type,
      source_component_type, source_component_name, baseline_value, observed_value, deviation_percentage,
      detection_method, detection_timestamp, last_observed_at, status, resolved_at, related_anomaly_ids, created_at)
    select md5('anomaly' || i)::uuid,
      case when i % 3 = 0 then md5('user' || (i % 1000))::uuid end,
      md5('org' || (i % 500 % 50))::uuid,
      (array['latency_spike', 'error_rate_increase', 'resource_exhaustion', 'selftest_failure', 'selftest_regression'])[(i / 500) % 5 + 1],
      (array['low', 'medium', 'medium', 'high', 'high', 'critical'])[i % 6 + 1],
      round((0.5 + 0.5 * random())::numeric, 4),
      'health_event',
      (array['edge_function', 'database', 'integration', 'api', 'worker'])[i % 500 % 5 + 1],
      'svc-' || lpad((i % 500)::text, 3, '0'),
      120, 120 * (2 + random() * 5), 100 + random() * 400,
      'rule_based',
      at.t, at.t + interval '5 minutes',
      st.status,
      case when st.status in ('resolved', 'false_positive') then at.t + (10 + random() * 120) * interval '1 minute' end,
      case when i % 20 = 0 and i > 1 then array[md5('anomaly' || (i - 1))::uuid] else '{}' end,
      at.t
    from generate_series(1, 100000) i
    cross join lateral (select now() - interval '30 days' + (i / 1e5) * interval '30 days' as t) at
    cross join lateral (select case
      when i > 97500 then (array['open', 'acknowledged', 'investigating'])[i % 3 + 1]
      when i % 7 = 0 then 'false_positive' else 'resolved' end as status) st`)
  await commitAs(sql, 'recovery actions', async (tx) => await tx`
    insert into recovery_actions (id, user_id, organization_id, action_type, trigger_type, triggered_by_anomaly_id,
      target_component_type, target_component_name, execution_status, requires_approval, approval_status,
      attempt_number, max_attempts, execution_started_at, execution_completed_at, execution_duration_ms, next_retry_at,
      lease_owner, lease_expires_at, success, recovery_effectiveness_score, created_at)
    select md5('action' || i)::uuid,
      case when i % 3 = 0 then md5('user' || (i % 1000))::uuid end,
      md5('org' || (i % 500 % 50))::uuid,
      (array['restart_function', 'scale_up', 'scale_down', 'clear_cache', 'reset_connection', 'rollback_deployment', 'circuit_breaker', 'alert_escalation'])[i % 8 + 1],
      case when i % 5 < 3 then 'automatic' else 'manual' end,
      case when i % 5 < 3 then md5('anomaly' || i)::uuid end,
      (array['edge_function', 'database', 'integration', 'api', 'worker'])[i % 500 % 5 + 1],
      'svc-' || lpad((i % 500)::text, 3, '0'),
      st.status,
      st.status in ('pending_approval', 'approved'),
      case st.status when 'pending_approval' then 'pending' when 'approved' then 'approved' else 'not_required' end,
      case when st.status in ('pending', 'pending_approval', 'approved') then 0 else 1 + i % 3 end,
      3,
      case when st.status not in ('pending', 'pending_approval', 'approved') then at.t + interval '2 seconds' end,
      case when st.status in ('succeeded', 'failed', 'rolled_back', 'cancelled', 'dry_run') then at.t + (5 + random() * 120) * interval '1 second' end,
      case when st.status in ('succeeded', 'failed', 'rolled_back', 'dry_run') then round((50 + random() * 3000)::numeric, 3) end,
      case when st.status = 'retry_scheduled' then now() + random() * interval '1 minute' end,
      case when st.status = 'running' then 'bench-instance' end,
      case when st.status = 'running' then now() + interval '1 minute' end,
      case st.status when 'succeeded' then true when 'failed' then false end,
      case when st.status = 'succeeded' then round((40 + random() * 60)::numeric, 2) end,
      at.t
    from generate_series(1, 100000) i
    cross join lateral (select now() - interval '30 days' + (i / 1e5) * interval '30 days' as t) at
    cross join lateral (select case
      when i > 99500 then (array['pending', 'pending_approval', 'approved', 'retry_scheduled', 'running'])[i % 5 + 1]
      when i % 20 = 0 then 'failed' when i % 33 = 0 then 'rolled_back' when i % 50 = 0 then 'cancelled'
      when i % 25 = 0 then 'dry_run' else 'succeeded' end as status) st`)
  await commitAs(sql, 'self-test results', async (tx) => await tx`
    insert into selftest_results (id, user_id, organization_id, test_name, test_category, execution_mode, execution_status,
      started_at, completed_at, execution_duration_ms, test_result, success, pass_count, fail_count, total_assertions,
      response_time_ms, health_score, reliability_score, performance_score, security_score, baseline_test_id,
      regression_detected, created_at)
    select md5('selftest' || i)::uuid,
      case when i % 3 = 0 then md5('user' || (i % 1000))::uuid end,
      md5('org' || (i % 50))::uuid,
      'selftest-' || lpad((i % 40)::text, 2, '0'),
      (array['database', 'security', 'detection', 'healing', 'analysis', 'api', 'jobs'])[i % 40 % 7 + 1],
      'scheduled', 'completed',
      at.t, at.t + d.ms * interval '1 millisecond', d.ms,
      v.result, v.result in ('passed', 'warning'),
      case when v.result = 'failed' then 4 else 5 end, case when v.result = 'failed' then 1 else 0 end, 5,
      round((d.ms / 10)::numeric, 2), round((60 + random() * 40)::numeric, 2), round((60 + random() * 40)::numeric, 2),
      round((60 + random() * 40)::numeric, 2), round((60 + random() * 40)::numeric, 2),
      case when i % 10 = 0 and i > 40 then md5('selftest' || (i - 40))::uuid end,
      v.result = 'failed',
      at.t
    from generate_series(1, 100000) i
    cross join lateral (select now() - interval '30 days' + (i / 1e5) * interval '30 days' as t) at
    cross join lateral (select round((20 + random() * 200)::numeric, 3) as ms) d
    cross join lateral (select case when i % 20 = 0 then 'failed' when i % 33 = 0 then 'warning' when i % 50 = 0 then 'error' else 'passed' end as result) v`)
}

async function commitAs (sql: Sql, label: string, work: (tx: Tx) => Promise<unknown>): Promise<void> {
  const start = performance.now()
  await sql.begin(async (tx) => {
    await tx`select set_config('role', 'service_role', true), set_config('request.jwt.claims', ${JSON.stringify(SERVICE_CALLER.claims)}, true)`
    await work(tx)
  })
  console.log(`  ${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`)
}

let embedded: EmbeddedDatabase | undefined
let serverUrl = process.env.DATABASE_URL
if (serverUrl === undefined || serverUrl === '') {
  embedded = await startEmbeddedPostgres(path.resolve('.data/bench'), BENCH_PORT, () => {})
  serverUrl = embedded.url
}
const databaseName = `core314_bench_${randomBytes(4).toString('hex')}`
const admin = createSql(serverUrl, { max: 1 })
await admin`create database ${admin(databaseName)}`
const benchUrl = new URL(serverUrl)
benchUrl.pathname = `/${databaseName}`
const sql = createSql(benchUrl.toString(), { max: 2, applicationName: 'core314-bench' })
try {
  await migrate(sql)
  console.log(`filling ${databaseName}`)
  await fill(sql)
  // As autovacuum would leave a table in steady state: statistics, hint bits, visibility map.
  await sql`vacuum analyze`
  const known = await relations(sql)

  const user = await pickUser(sql)
  const [picked] = await sql<Array<Omit<Ids, 'user'>>>`
    select
      (select id from anomaly_signals where status = 'open' order by created_at desc limit 1) as anomaly,
      (select id from anomaly_signals where status = 'open' and user_id = ${user} order by created_at desc limit 1) as "userAnomaly",
      (select id from recovery_actions where execution_status = 'pending' order by created_at limit 1) as "pendingAction",
      (select id from recovery_actions where execution_status = 'failed' order by created_at desc limit 1) as "failedAction",
      (select id from selftest_results where user_id = ${user} order by created_at desc limit 1) as selftest`
  const ids: Ids = { user, ...picked! }
  const userCaller: Caller = { role: 'authenticated', claims: { sub: user, role: 'authenticated', app_metadata: { organization_id: null } } }

  console.log(`\n${RUNS} runs each, median; 1,000,000 health events, 100,000 rows in each other table\n`)
  const rows: string[][] = [['function', 'service ms', 'user ms', `< ${TARGET_MS} ms`, 'indexes in its plans (as the service role)']]
  let slowest = { name: '', ms: 0 }
  for (const entry of cases) {
    const service = await timed(sql, SERVICE_CALLER, ids, entry.call)
    const asUser = entry.user ? await timed(sql, userCaller, ids, entry.call) : undefined
    const plan = await planOf(benchUrl.toString(), SERVICE_CALLER, ids, entry.call, known)
    const worst = Math.max(service, asUser ?? 0)
    if (worst > slowest.ms) slowest = { name: entry.name, ms: worst }
    rows.push([entry.name, service.toFixed(1), asUser === undefined ? 'refused' : asUser.toFixed(1), worst < TARGET_MS ? 'yes' : 'NO', plan])
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  for (const [index, row] of rows.entries()) {
    console.log(row.map((cell, column) => column === 0 || column === 4 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)).join('  '))
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  }
  reportFigure({ bench: 'db', name: `slowest helper function (${slowest.name}), median`, value: slowest.ms, unit: 'ms', seed: '< 500 ms per query', ours: `< ${TARGET_MS} ms`, met: slowest.ms < TARGET_MS })
} finally {
  await sql.end()
  await admin`drop database if exists ${admin(databaseName)} with (force)`
  await admin.end()
  await embedded?.stop()
}

/** A user who owns rows in every table, so the user timings read through real data. */
async function pickUser (sql: Sql): Promise<string> {
  const [row] = await sql<Array<{ id: string }>>`
    select user_id as id from anomaly_signals where status = 'open' and user_id is not null order by created_at desc limit 1`
  return row!.id
}
