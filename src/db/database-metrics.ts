// The service's own PostgreSQL as the monitor sees it: sessions from pg_stat_activity, the
// cumulative counters of pg_stat_database (deadlocks, block hits and reads, transactions) and,
// when the pg_stat_statements extension is installed and loaded, statement calls and the
// slowest statements. These are server statistics, not rows: they are read on the pool's login
// connection, whose privileges (pg_monitor in production) decide how much of other sessions
// it may see, not under a caller's role.
import type { Sql, Tx } from './client.js'

export interface DatabaseCounters {
  stats_reset: string | null
  deadlocks: number
  blks_hit: number
  blks_read: number
  xact_commit: number
  xact_rollback: number
  /** Sum of pg_stat_statements calls for this database; null without the extension. */
  statement_calls: number | null
}

export interface SlowStatement {
  queryid: string
  calls: number
  mean_exec_time_ms: number
}

export interface DatabaseSample {
  database: string
  sampled_at: Date
  max_connections: number
  /** Client sessions on the whole server, and on this database by state. */
  server_connections: number
  connections: number
  active: number
  idle_in_transaction: number
  /** Sessions of other roles whose state the login role may not see. */
  hidden: number
  /** Queries (not this one) running at least slowQueryMs at the moment of sampling. */
  slow_queries: number
  longest_query_seconds: number | null
  counters: DatabaseCounters
  pg_stat_statements: { available: false; reason: string } | { available: true; slowest: SlowStatement[] }
}

type Activity = Omit<DatabaseSample, 'counters' | 'pg_stat_statements'>

export async function sampleDatabase(sql: Sql, slowQueryMs: number): Promise<DatabaseSample> {
  const [activity] = await sql<Activity[]>`
    select current_database() as database, now() as sampled_at,
      current_setting('max_connections')::int as max_connections,
      count(*)::int as server_connections,
      (count(*) filter (where datname = current_database()))::int as connections,
      (count(*) filter (where datname = current_database() and state = 'active'))::int as active,
      (count(*) filter (where datname = current_database() and state like 'idle in transaction%'))::int as idle_in_transaction,
      (count(*) filter (where datname = current_database() and state is null))::int as hidden,
      (count(*) filter (where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
        and now() - query_start >= make_interval(secs => ${slowQueryMs}::float8 / 1000)))::int as slow_queries,
      round(extract(epoch from max(now() - query_start) filter (where datname = current_database() and state = 'active' and pid <> pg_backend_pid()))::numeric, 3) as longest_query_seconds
    from pg_stat_activity
    where backend_type = 'client backend'`
  const [database] = await sql<Array<Omit<DatabaseCounters, 'statement_calls'>>>`
    select stats_reset::text as stats_reset, deadlocks, blks_hit, blks_read, xact_commit, xact_rollback
    from pg_stat_database
    where datname = current_database()`
  const statements = await readStatements(sql, slowQueryMs)
  return {
    ...(activity as Activity),
    counters: { ...(database as Omit<DatabaseCounters, 'statement_calls'>), statement_calls: statements.calls },
    pg_stat_statements: statements.report
  }
}

interface Statements {
  calls: number | null
  report: DatabaseSample['pg_stat_statements']
}

async function readStatements(sql: Sql, slowQueryMs: number): Promise<Statements> {
  const [extension] = await sql<Array<{ schema: string }>>`
    select extnamespace::regnamespace::text as schema from pg_extension where extname = 'pg_stat_statements'`
  if (extension === undefined) return { calls: null, report: { available: false, reason: 'extension not installed' } }
  const view = sql`${sql(extension.schema)}.pg_stat_statements`
  try {
    const [total] = await sql<Array<{ calls: number }>>`
      select coalesce(sum(calls), 0)::bigint as calls from ${view} where dbid = (select oid from pg_database where datname = current_database())`
    const slowest = await sql<SlowStatement[]>`
      select queryid::text as queryid, calls, round(mean_exec_time::numeric, 3) as mean_exec_time_ms
      from ${view}
      where dbid = (select oid from pg_database where datname = current_database()) and mean_exec_time >= ${slowQueryMs}
      order by mean_exec_time desc
      limit 5`
    return { calls: total?.calls ?? 0, report: { available: true, slowest } }
  } catch (err) {
    // Installed but not in shared_preload_libraries: the view refuses to be read.
    return { calls: null, report: { available: false, reason: (err as Error).message } }
  }
}

export interface PreviousSample {
  counters: DatabaseCounters
  sampled_at: string
}

/** The counters the monitor stored with its last event for this database, for per-window deltas. */
export async function previousSample(tx: Tx, database: string): Promise<PreviousSample | undefined> {
  const [row] = await tx<PreviousSample[]>`
    select metadata->'monitor'->'counters' as counters, metadata->'monitor'->>'sampled_at' as sampled_at
    from system_health_events
    where component_name = ${database} and component_type = 'database'
      and metadata->'monitor'->'counters' is not null
    order by event_time desc
    limit 1`
  return row
}
