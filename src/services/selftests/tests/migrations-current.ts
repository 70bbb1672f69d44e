// Migrations current: every migration file on disk is applied with the checksum it has now.
// A missing one means the schema is older than the code; a changed one means the database was
// built from other SQL than the file says. The same rule /readyz applies, with the names.
import { readMigrations } from '../../../db/migrate.js'
import { reason } from '../assertions.js'
import type { SelftestDefinition } from '../types.js'

export const migrationsCurrent: SelftestDefinition = {
  name: 'migrations_current',
  category: 'database',
  type: 'schema',
  description:
    'Every migration file is recorded in schema_migrations with the checksum it has on disk; versions the database has and the code does not are a warning (a newer release ran against it).',
  version: '1.0.0',
  defaultSchedule: null,
  timeoutSeconds: 15,
  failureSeverity: 'critical',
  target: { componentType: 'database', componentName: 'schema_migrations' },
  run: async ({ db, assert }) => {
    const files = await readMigrations()
    let applied: Array<{ version: number; name: string; checksum: string }>
    try {
      applied = (
        await assert.probe(
          async () =>
            await db.sql<Array<{ version: number; name: string; checksum: string }>>`
        select version, name, checksum from schema_migrations order by version`
        )
      ).value
    } catch (error) {
      assert.fail('migrations_recorded', `schema_migrations cannot be read: ${reason(error)}`, {
        recommendation: 'Run `npm run migrate` against this database'
      })
      return
    }
    const recorded = new Map(applied.map(row => [row.version, row]))
    const missing = files.filter(file => !recorded.has(file.version)).map(file => file.name)
    assert.check(
      'migrations_applied',
      missing.length === 0,
      {
        pass: `all ${files.length} migrations applied`,
        fail: `not applied: ${missing.join(', ')}`
      },
      {
        details: { missing },
        recommendation: 'Run `npm run migrate` (the service applies pending migrations when it starts)'
      }
    )

    const changed = files
      .filter(file => recorded.has(file.version) && recorded.get(file.version)?.checksum !== file.checksum)
      .map(file => file.name)
    assert.check(
      'migration_checksums',
      changed.length === 0,
      {
        pass: 'every applied migration matches its file',
        fail: `applied from other SQL than the file holds now: ${changed.join(', ')}`
      },
      {
        details: { changed },
        recommendation: 'Restore the original migration files; changes belong in a new migration'
      }
    )

    const unknown = applied.filter(row => !files.some(file => file.version === row.version)).map(row => row.name)
    if (unknown.length > 0)
      assert.warn('no_unknown_migrations', `the database has migrations this release does not: ${unknown.join(', ')}`, {
        details: { unknown },
        recommendation: 'A newer release migrated this database: finish the rollout or roll forward'
      })
    else assert.pass('no_unknown_migrations', 'no migrations beyond this release')
  }
}
