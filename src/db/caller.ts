// Runs a unit of work as a caller: one transaction whose role and JWT claims are set with
// set_config(..., true), so they end with the transaction and a pooled connection never
// carries one caller's identity to the next. Row-level security does the rest.
import { currentRequestId } from '../request-context.js'
import type { Sql, Tx } from './client.js'

export type DbRole = 'authenticated' | 'service_role'

export interface Caller {
  role: DbRole
  /** The verified JWT payload, exposed to SQL as request.jwt.claims. */
  claims: Record<string, unknown>
}

export interface CallerOptions {
  /** Lifts the pool's time limits (DB_REQUEST_TIMEOUT_MS) for this transaction: the jobs' work. */
  unlimited?: boolean
  /** Set once the request has answered 503: work that starts or ends after it rolls back. */
  abandoned?: AbortSignal
}

export async function withCaller<T>(
  sql: Sql,
  caller: Caller,
  work: (tx: Tx) => Promise<T>,
  options: CallerOptions = {}
): Promise<T> {
  return (await sql.begin(async tx => {
    options.abandoned?.throwIfAborted()
    // Not awaited before the work starts: postgres.js pipelines a transaction's queries, so the
    // identity goes out in the same write as the work's first query and runs before it, which
    // saves a round trip per request. Should it fail, the work's queries fail after it and the
    // transaction reports its error.
    // core314.request_id is what audit rows and escalations take as their request_id (a column
    // default): set on every transaction, empty outside a request, so none inherits another's.
    const requestId = currentRequestId() ?? ''
    const identity =
      options.unlimited === true
        ? tx`select set_config('role', ${caller.role}, true), set_config('request.jwt.claims', ${claimsText(caller)}, true),
          set_config('core314.request_id', ${requestId}, true),
          set_config('statement_timeout', '0', true), set_config('idle_in_transaction_session_timeout', '0', true)`.execute()
        : tx`select set_config('role', ${caller.role}, true), set_config('request.jwt.claims', ${claimsText(caller)}, true),
          set_config('core314.request_id', ${requestId}, true)`.execute()
    const result = await work(tx)
    await identity
    // Throwing sends ROLLBACK instead of COMMIT: the request has already said "nothing stored".
    options.abandoned?.throwIfAborted()
    return result
  })) as T
}

/** The claims as request.jwt.claims holds them. */
export function claimsText(caller: Caller): string {
  return JSON.stringify(caller.claims)
}

/** The identity the service's own jobs act under. */
export const SERVICE_CALLER: Caller = { role: 'service_role', claims: { role: 'service_role', sub: null } }

/**
 * The user whose rows are the only ones this caller can see, for a non-admin user. RLS
 * enforces it anyway; naming it in the query lets the planner use the owner indexes, which
 * it cannot do from OR'ed policies alone.
 */
export function visibleOwner(caller: Caller): string | undefined {
  if (caller.role !== 'authenticated') return undefined
  const metadata = caller.claims.app_metadata as Record<string, unknown> | undefined
  return metadata?.role === 'admin' || typeof caller.claims.sub !== 'string' ? undefined : caller.claims.sub
}
