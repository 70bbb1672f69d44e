// The database pool: one postgres.js instance for the app, closed when the app closes, and
// the doors to it for routes: `app.db.asCaller(identity, tx => ...)`, and `app.db.statement`
// for the few statements that apply the caller themselves in one round trip.
import fp from 'fastify-plugin'
import { createSql, type Sql, type Tx } from '../db/client.js'
import { withCaller, type Caller } from '../db/caller.js'

export interface Db {
  sql: Sql
  /** Runs `work` in a transaction as the caller, under row-level security. */
  asCaller: <T>(caller: Caller, work: (tx: Tx) => Promise<T>) => Promise<T>
  /**
   * Runs one statement on the pool, outside any transaction, for a SQL function that sets the
   * caller it is given and acts in the same statement (core314.insert_health_event_as). Any
   * other statement would run as the login role: use asCaller.
   */
  statement: <T>(work: (sql: Sql) => Promise<T>) => Promise<T>
}

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
  }
}

export interface DbOptions {
  url: string
  poolSize: number
}

/**
 * The Db over a pool; `inFlight` counts the work holding a connection (the app's metric).
 * Benchmarks and tests that drive services without an app build theirs here too.
 */
export function createDb (sql: Sql, inFlight?: { inc: () => void, dec: () => void }): Db {
  async function counted<T> (work: () => Promise<T>): Promise<T> {
    inFlight?.inc()
    try {
      return await work()
    } finally {
      inFlight?.dec()
    }
  }
  return {
    sql,
    asCaller: async (caller, work) => await counted(async () => await withCaller(sql, caller, work)),
    statement: async (work) => await counted(async () => await work(sql))
  }
}

export default fp(async (app, options: DbOptions) => {
  const sql = createSql(options.url, { max: options.poolSize })
  app.metrics.dbPoolSize.set(options.poolSize)
  app.decorate('db', createDb(sql, app.metrics.dbInFlight))
  app.addHook('onClose', async () => {
    await sql.end({ timeout: 5 })
  })
}, { name: 'db', dependencies: ['metrics'] })
