// `npm run bench:organization-keys`: what migration 0045 (organization in every key) costs an
// existing installation. Migrates a fresh database to 0044, fills it with the database
// benchmark's volume (a million health events, 100,000 rows in each other table), then times
// applying 0045, whose work is building the (organization, component) index over every event
// partition and rewriting the detector's signals. Runs on DATABASE_URL's server when set,
// otherwise on an embedded PostgreSQL under .data/.
import { performance } from 'node:perf_hooks'
import { createSql } from '../src/db/client.js'
import { migrate } from '../src/db/migrate.js'
import { benchDatabase } from './support/database.js'
import { fillDatabase } from './support/fill.js'
import { reportFigure } from './support/figures.js'

const BENCH_PORT = 54373
const ORGANIZATION_KEYS = 45

const database = await benchDatabase('organization_keys', BENCH_PORT, { before: ORGANIZATION_KEYS })
const sql = createSql(database.url, { max: 2, applicationName: 'core314-bench' })
try {
  console.log('filling: 1,000,000 health events, 100,000 rows in each other table')
  await fillDatabase(sql)
  await sql`vacuum analyze`
  const [events] = await sql<Array<{ n: number }>>`select count(*)::int as n from system_health_events`
  const started = performance.now()
  const applied = await migrate(sql)
  const seconds = (performance.now() - started) / 1000
  console.log(`applied ${applied.join(', ')} over ${events?.n ?? 0} health events in ${seconds.toFixed(1)} s`)
  reportFigure({
    bench: 'organization-keys',
    name: 'migration 0045 on 1M health events',
    value: seconds,
    unit: 's',
    seed: '-',
    ours: 'informative: a one-off at upgrade'
  })
} finally {
  await sql.end()
  await database.close()
}
