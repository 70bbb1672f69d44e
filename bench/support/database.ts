// A fresh, migrated database for a benchmark: on DATABASE_URL's server when it is set,
// otherwise on an embedded PostgreSQL of the benchmark's own (port and folder under .data/).
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { createSql } from '../../src/db/client.js'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js'
import { migrate, MIGRATIONS_DIR, type MigrateOptions } from '../../src/db/migrate.js'

export interface BenchDatabase {
  url: string
  close: () => Promise<void>
}

/** `migrations.before`: migrate only that far (a benchmark of a later migration). */
export async function benchDatabase(
  name: string,
  port: number,
  migrations: MigrateOptions = {}
): Promise<BenchDatabase> {
  let embedded: EmbeddedDatabase | undefined
  let adminUrl = process.env.DATABASE_URL
  if (adminUrl === undefined || adminUrl === '') {
    embedded = await startEmbeddedPostgres(path.resolve(`.data/bench-${name}`), port, () => {})
    adminUrl = embedded.url
  }
  const database = `core314_bench_${name}_${randomBytes(4).toString('hex')}`
  const admin = createSql(adminUrl, { max: 1 })
  await admin`create database ${admin(database)}`
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  const sql = createSql(url.toString(), { max: 1 })
  await migrate(sql, MIGRATIONS_DIR, migrations)
  await sql.end()
  return {
    url: url.toString(),
    close: async () => {
      await admin`drop database if exists ${admin(database)} with (force)`
      await admin.end()
      await embedded?.stop()
    }
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
}
