// The one postgres.js pool of the process. Numeric types are parsed once here so query
// modules and the API return numbers where the schema says number.
import postgres from 'postgres'

export type Sql = postgres.Sql
export type Tx = postgres.TransactionSql

export interface PoolOptions {
  max?: number
  /** Name shown in pg_stat_activity, so an operator can tell the service's connections apart. */
  applicationName?: string
  /**
   * Every connection's statement_timeout and idle_in_transaction_session_timeout, set when it
   * opens: a statement's limit must be in force before the statement is parsed, which a setting
   * sent with it cannot be. Work that may run longer lifts it for its own transaction.
   */
  timeoutMs?: number
  /** Addresses to connect to instead of the URL's hosts (one per host, in the URL's order)... */
  hosts?: string[]
  /** ...and their ports. */
  ports?: number[]
}

/** The application names the service's own connections use: reset_connection never targets them. */
export const SERVICE_APPLICATION_NAMES = ['core314-self-healing', 'core314-migrate', 'core314-selftest']

const NUMERIC_OIDS = { int8: 20, numeric: 1700 }

export function createSql(url: string, options: PoolOptions = {}): Sql {
  return postgres(url, {
    ...(options.hosts === undefined
      ? {}
      : { host: options.hosts as unknown as string, port: options.ports as unknown as number }),
    max: options.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 5,
    // Reconnect within a couple of seconds after the database comes back (the default grows
    // to 20 s), so readiness and requests recover soon after a restart or failover.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 2),
    onnotice: () => {},
    // Optional fields a caller left out are stored as NULL; multi-row inserts need every column.
    transform: { undefined: null },
    connection: {
      application_name: options.applicationName ?? SERVICE_APPLICATION_NAMES[0],
      ...(options.timeoutMs === undefined
        ? {}
        : { statement_timeout: options.timeoutMs, idle_in_transaction_session_timeout: options.timeoutMs })
    },
    types: {
      bigint: {
        to: NUMERIC_OIDS.int8,
        from: [NUMERIC_OIDS.int8],
        serialize: (value: number | bigint) => value.toString(),
        parse: (value: string) => Number(value)
      },
      numeric: {
        to: NUMERIC_OIDS.numeric,
        from: [NUMERIC_OIDS.numeric],
        serialize: (value: number) => value.toString(),
        parse: (value: string) => Number(value)
      }
    }
  })
}
