// The database pool: one postgres.js instance for the app, closed when the app closes, and
// the only door to it for routes: `app.db.asCaller(identity, tx => ...)`.
import fp from 'fastify-plugin'
import { createSql, type Sql, type Tx } from '../db/client.js'
import { withCaller, type Caller } from '../db/caller.js'

export interface Db {
  sql: Sql
  /** Runs `work` in a transaction as the caller, under row-level security. */
  asCaller: <T>(caller: Caller, work: (tx: Tx) => Promise<T>) => Promise<T>
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

export default fp(async (app, options: DbOptions) => {
  const sql = createSql(options.url, { max: options.poolSize })
  app.metrics.dbPoolSize.set(options.poolSize)
  const inFlight = app.metrics.dbInFlight
  app.decorate('db', {
    sql,
    asCaller: async (caller, work) => {
      inFlight.inc()
      try {
        return await withCaller(sql, caller, work)
      } finally {
        inFlight.dec()
      }
    }
  } satisfies Db)
  app.addHook('onClose', async () => {
    await sql.end({ timeout: 5 })
  })
}, { name: 'db', dependencies: ['metrics'] })
