// The database pool: one postgres.js instance for the app, closed when the app closes, and
// the two Db ports over it (src/db/port.ts): `app.db` for routes, whose work is time-limited
// (DB_REQUEST_TIMEOUT_MS), and `app.jobDb` for the service's own jobs.
import fp from 'fastify-plugin'
import { createSql } from '../db/client.js'
import { createDb, type Db } from '../db/port.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
    jobDb: Db
  }
}

export interface DbOptions {
  url: string
  poolSize: number
  requestTimeoutMs: number
}

export default fp(
  async (app, options: DbOptions) => {
    const sql = createSql(options.url, { max: options.poolSize, timeoutMs: options.requestTimeoutMs })
    app.metrics.dbPoolSize.set(options.poolSize)
    app.decorate('db', createDb(sql, { inFlight: app.metrics.dbInFlight, requestTimeoutMs: options.requestTimeoutMs }))
    app.decorate('jobDb', createDb(sql, { inFlight: app.metrics.dbInFlight }))
    app.addHook('onClose', async () => {
      await sql.end({ timeout: 5 })
    })
  },
  { name: 'db', dependencies: ['metrics'] }
)
