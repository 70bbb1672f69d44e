// `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database
// when it is unset, and exits.
import { loadConfig } from '../src/config.js'
import { createSql } from '../src/db/client.js'
import { provisionEmbedded, type EmbeddedDatabase } from '../src/db/embedded.js'
import { migrate } from '../src/db/migrate.js'

let config = loadConfig()
let database: EmbeddedDatabase | undefined
if (config.databaseUrl === undefined) ({ config, database } = await provisionEmbedded(config))
const sql = createSql(config.databaseUrl as string, { max: 1, applicationName: 'core314-migrate' })
try {
  const applied = await migrate(sql)
  console.log(applied.length === 0 ? 'migrations: up to date' : `migrations applied: ${applied.join(', ')}`)
} finally {
  await sql.end()
  await database?.stop()
}
