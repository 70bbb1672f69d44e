// The Db port: how services reach the database. `asCaller(identity, tx => ...)` runs work as a
// caller under row-level security, and `statement` runs the few statements that apply the
// caller themselves in one round trip. The app builds two over its pool (src/plugins/db.ts):
// one for routes, whose work is time-limited (DB_REQUEST_TIMEOUT_MS), one for jobs, which may
// run long over history. Benchmarks and tests that drive services without an app build theirs
// with createDb.
import type { MaybeRow, PendingQuery } from 'postgres'
import type { Sql, Tx } from './client.js'
import { withCaller, type Caller } from './caller.js'
import { errors } from '../errors.js'

export interface Db {
  sql: Sql
  /** Runs `work` in a transaction as the caller, under row-level security. */
  asCaller: <T>(caller: Caller, work: (tx: Tx) => Promise<T>) => Promise<T>
  /**
   * Runs one statement outside any transaction, for a SQL function that sets the caller it is
   * given and acts in the same statement (core314.insert_health_event_as). Any other statement
   * would run as the login role: use asCaller. The query is handed over unsent, so a request
   * that gives up can still cancel it.
   */
  statement: <T extends readonly MaybeRow[]>(query: (sql: Sql) => PendingQuery<T>) => Promise<T>
}

export interface CreateDbOptions {
  /** Counts the work holding a connection (the app's metric). */
  inFlight?: { inc: () => void; dec: () => void }
  /** The pool's own limit (createSql's timeoutMs), which this Db's work keeps; unset: lifted. */
  requestTimeoutMs?: number
}

/**
 * How much later than PostgreSQL's limit a request gives up itself: long enough for the
 * server's own cancellation to arrive first, so a 503 from the deadline means the reply was
 * lost (a connection that died silently) or the work never got a connection.
 */
export const DEADLINE_MARGIN_MS = 1000

function unavailable(): Error {
  return new errors.DatabaseTimeout('the database did not answer in time; nothing was stored, retry shortly')
}

/** `work`'s outcome, or a 503 once `ms` have passed, after `abandon` has been told. */
async function within<T>(work: Promise<T>, ms: number, abandon: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      abandon()
      reject(unavailable())
    }, ms)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The Db over a pool.
 *
 * With requestTimeoutMs, the pool's connections carry that statement_timeout and
 * idle_in_transaction_session_timeout from the moment they open, and each unit of work gives
 * up after it plus DEADLINE_MARGIN_MS, answering 503. Why a 503 means "not stored":
 * - asCaller: the transaction checks before its work starts and again before COMMIT whether
 *   the request gave up, and rolls back if so. The one window left is a COMMIT sent before the
 *   deadline whose reply is lost (a connection dying mid-COMMIT), unknowable to any client.
 * - statement: the server cancels it at the limit, and at the deadline the request cancels it
 *   too: one still queued in the pool is then never sent. It commits by itself, so it may still
 *   be stored if it was sent late, pipelined behind another statement on a busy connection, or
 *   its reply was lost; a caller that must not store twice sends an Idempotency-Key, which
 *   takes the transactional path.
 * Without requestTimeoutMs (jobs), asCaller lifts the limits for its own transaction; a
 * statement keeps them (one statement cannot lift a limit already in force when it is parsed).
 */
export function createDb(sql: Sql, options: CreateDbOptions = {}): Db {
  const { inFlight, requestTimeoutMs } = options
  function counted<T>(work: Promise<T>): Promise<T> {
    inFlight?.inc()
    // Counted until the work lets go of its connection, after a 503 too.
    work.then(
      () => inFlight?.dec(),
      () => inFlight?.dec()
    )
    return work
  }
  if (requestTimeoutMs === undefined) {
    return {
      sql,
      asCaller: async (caller, work) => await counted(withCaller(sql, caller, work, { unlimited: true })),
      statement: async query => await counted(query(sql).execute())
    }
  }
  return {
    sql,
    asCaller: async (caller, work) => {
      const abandoned = new AbortController()
      return await within(
        counted(withCaller(sql, caller, work, { abandoned: abandoned.signal })),
        requestTimeoutMs + DEADLINE_MARGIN_MS,
        () => abandoned.abort()
      )
    },
    statement: async query => {
      const pending = query(sql)
      return await within(counted(pending.execute()), requestTimeoutMs + DEADLINE_MARGIN_MS, () => {
        void Promise.resolve(pending.cancel()).catch(() => {})
      })
    }
  }
}
