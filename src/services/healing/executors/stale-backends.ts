// Terminates one application's idle and stuck connections on a PostgreSQL, the only way
// reset_connection touches a database. The query names the application, the database and
// "not me" itself, so no parameter can widen it to other clients. Waiting for each backend
// to exit (pg_terminate_backend with a timeout, PostgreSQL 14+) lets the result say which
// connections are really gone.
import type { Sql } from '../../../db/client.js'
import type { TargetPolicy } from '../../../lib/address-policy.js'
import { checkedPostgres } from '../../targets/postgres-client.js'

export interface TerminatedBackend {
  pid: number
  state: string
  seconds_in_state: number
  terminated: boolean
}

export interface StaleBackendLimits {
  applicationName: string
  idleSeconds: number
  stuckSeconds: number
}

export interface StaleBackendGuard {
  policy: TargetPolicy
  /** The service's own pool: set when the target may not be the service's own database. */
  self?: Sql
}

/** Thrown when the target turns out to be the service's own database, however its URL spells it. */
export class SelfTarget extends Error {
  readonly code = 'SELF_TARGET'
  constructor() {
    super(
      "the database is this service's own, which reset_connection may not act on unless HEAL_ALLOW_SELF_RESET is set"
    )
    this.name = 'SelfTarget'
  }
}

// A cluster's start time and port, and the database: the same on both ends only for one database.
async function identity(sql: Sql): Promise<string> {
  const [row] = await sql<Array<{ id: string }>>`
    select concat_ws('/', pg_postmaster_start_time()::text, current_setting('port'), current_database()) as id`
  return row?.id ?? ''
}

const EXIT_WAIT_MS = 2000

export async function terminateStaleBackends(
  url: string,
  limits: StaleBackendLimits,
  signal: AbortSignal,
  guard: StaleBackendGuard
): Promise<TerminatedBackend[]> {
  signal.throwIfAborted()
  const sql = await checkedPostgres(url, guard.policy, { max: 1 })
  const onAbort = (): void => {
    void sql.end({ timeout: 0 })
  }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    if (guard.self !== undefined && (await identity(sql)) === (await identity(guard.self))) throw new SelfTarget()
    return await sql<TerminatedBackend[]>`
      select pid, state,
             extract(epoch from now() - state_change)::float8 as seconds_in_state,
             pg_terminate_backend(pid, ${EXIT_WAIT_MS}) as terminated
      from pg_stat_activity
      where backend_type = 'client backend'
        and datname = current_database()
        and application_name = ${limits.applicationName}
        and pid <> pg_backend_pid()
        and (
          (state = 'idle' and state_change < now() - make_interval(secs => ${limits.idleSeconds}))
          or (state in ('idle in transaction', 'idle in transaction (aborted)', 'active')
              and state_change < now() - make_interval(secs => ${limits.stuckSeconds}))
        )
      order by pid
    `
  } catch (error) {
    throw signal.aborted ? signal.reason : error
  } finally {
    signal.removeEventListener('abort', onAbort)
    await sql.end({ timeout: 1 })
  }
}
