// The migration runner: applies each file once, records checksums, refuses an edited file,
// and serialises instances that start at the same time.
import t from 'tap'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createSql } from '../../src/db/client.js'
import { migrate, migrationsCurrent, readMigrations, MigrationChecksumError } from '../../src/db/migrate.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'core314-migrations-'))
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql)
  return dir
}

t.test('applies pending files in order, once, and records them', async t => {
  const { url } = await freshDatabase(t, { empty: true })
  const sql = ownerSql(t, url)
  const dir = await migrationsDir({
    '0001_a.sql': 'create table a (id int primary key);',
    '0002_b.sql': 'insert into a values (1);'
  })
  t.same(await migrate(sql, dir), ['0001_a.sql', '0002_b.sql'])
  t.same(await migrate(sql, dir), [], 'a second run applies nothing')
  t.same(await sql`select count(*)::int as n from a`, [{ n: 1 }])
  t.equal(await migrationsCurrent(sql, await readMigrations(dir)), true)
})

t.test('a file changed after it was applied stops the run with a clear error', async t => {
  const { url } = await freshDatabase(t, { empty: true })
  const sql = ownerSql(t, url)
  const dir = await migrationsDir({ '0001_a.sql': 'create table a (id int);' })
  await migrate(sql, dir)
  await writeFile(path.join(dir, '0001_a.sql'), 'create table a (id bigint);')
  await writeFile(path.join(dir, '0002_b.sql'), 'create table b (id int);')
  const error = await migrate(sql, dir).catch((err: unknown) => err)
  t.type(error, MigrationChecksumError)
  t.match((error as Error).message, /0001_a\.sql was changed after it was applied/)
  t.same(await sql`select to_regclass('b') as b`, [{ b: null }], 'nothing after the changed file ran')
  t.equal(await migrationsCurrent(sql, await readMigrations(dir)), false)
})

t.test('a failing file rolls back alone and is not recorded', async t => {
  const { url } = await freshDatabase(t, { empty: true })
  const sql = ownerSql(t, url)
  const dir = await migrationsDir({
    '0001_a.sql': 'create table a (id int);',
    '0002_bad.sql': 'create table c (id int); select no_such_function();'
  })
  await t.rejects(migrate(sql, dir))
  t.same(await sql`select version from schema_migrations order by version`, [{ version: 1 }])
  t.same(await sql`select to_regclass('c') as c`, [{ c: null }])
})

t.test('instances migrating at once apply each file exactly once', async t => {
  const { url } = await freshDatabase(t, { empty: true })
  // Not idempotent on purpose: a second application would fail on the existing table or duplicate the row.
  const dir = await migrationsDir({
    '0001_a.sql': 'create table a (id int primary key); select pg_sleep(0.2);',
    '0002_b.sql': 'insert into a values (1);'
  })
  const instances = Array.from({ length: 4 }, () => createSql(url, { max: 1 }))
  t.teardown(async () => {
    await Promise.all(instances.map(async sql => await sql.end()))
  })
  const results = await Promise.all(instances.map(async sql => await migrate(sql, dir)))
  t.same(results.flat().sort(), ['0001_a.sql', '0002_b.sql'], 'each file applied by exactly one instance')
  const sql = ownerSql(t, url)
  t.same(await sql`select count(*)::int as n from a`, [{ n: 1 }])
})
