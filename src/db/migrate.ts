// Forward-only migrations: numbered SQL files in migrations/, each applied in its own
// transaction and recorded with a SHA-256 checksum. Hand-written rather than taken from
// postgres-shift or ley because neither records checksums nor serialises concurrent starts;
// the whole runner is this file. A transaction-level advisory lock taken before each file is
// checked makes several instances starting at once apply it exactly once.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Sql } from './client.js'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

// Arbitrary but fixed: every instance must use the same key.
const MIGRATION_LOCK_KEY = 3140001

export interface MigrationFile {
  version: number
  name: string
  checksum: string
  sql: string
}

export class MigrationChecksumError extends Error {
  constructor(readonly file: string) {
    super(
      `migration ${file} was changed after it was applied; applied migrations must never be edited (add a new one instead)`
    )
    this.name = 'MigrationChecksumError'
  }
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter(name => /^\d{4}_[\w-]+\.sql$/.test(name)).sort()
  const files: MigrationFile[] = []
  for (const name of names) {
    const sql = await readFile(`${dir}/${name}`, 'utf8')
    files.push({
      version: Number(name.slice(0, 4)),
      name,
      checksum: createHash('sha256').update(sql).digest('hex'),
      sql
    })
  }
  const versions = new Set(files.map(file => file.version))
  if (versions.size !== files.length) throw new Error(`two migrations share a number in ${dir}`)
  return files
}

export interface MigrateOptions {
  /** Only the files numbered below this: an older schema, for testing or timing a later migration on it. */
  before?: number
}

/** Applies every pending migration; returns the names applied by this call. */
export async function migrate(sql: Sql, dir = MIGRATIONS_DIR, options: MigrateOptions = {}): Promise<string[]> {
  const applied: string[] = []
  for (const file of await readMigrations(dir)) {
    if (options.before !== undefined && file.version >= options.before) break
    await sql.begin(async tx => {
      await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`
      await tx`
        create table if not exists schema_migrations (
          version integer primary key,
          name text not null,
          checksum text not null,
          applied_at timestamptz not null default now()
        )`
      const [row] = await tx<
        { checksum: string }[]
      >`select checksum from schema_migrations where version = ${file.version}`
      if (row !== undefined) {
        if (row.checksum !== file.checksum) throw new MigrationChecksumError(file.name)
        return
      }
      await tx.unsafe(file.sql)
      await tx`insert into schema_migrations (version, name, checksum) values (${file.version}, ${file.name}, ${file.checksum})`
      applied.push(file.name)
    })
  }
  return applied
}

/** True when every migration file is applied with the checksum it has now. */
export async function migrationsCurrent(sql: Sql, files: MigrationFile[]): Promise<boolean> {
  const [exists] = await sql<{ found: boolean }[]>`select to_regclass('schema_migrations') is not null as found`
  if (exists?.found !== true) return files.length === 0
  const rows = await sql<{ version: number; checksum: string }[]>`select version, checksum from schema_migrations`
  const recorded = new Map(rows.map(row => [row.version, row.checksum]))
  return files.every(file => recorded.get(file.version) === file.checksum)
}
