// A fresh database per test file, cloned from the template `npm test` migrated once.
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { createSql, type Sql } from '../../src/db/client.js'

function env(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '')
    throw new Error(`${name} is not set: run the suite with \`npm test\`, which provides the database`)
  return value
}

export function adminUrl(): string {
  return env('TEST_ADMIN_URL')
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl())
  url.pathname = `/${name}`
  return url.toString()
}

/** Creates a database (from the migrated template unless `empty`) dropped when the test ends. */
export async function freshDatabase(
  t: Test,
  options: { empty?: boolean } = {}
): Promise<{ name: string; url: string }> {
  const name = `${env('TEST_DATABASE_PREFIX')}${randomBytes(6).toString('hex')}`
  const admin = createSql(adminUrl(), { max: 1 })
  try {
    if (options.empty === true) await admin`create database ${admin(name)}`
    // Copying the files is ~5x cheaper than writing every page of the copy to WAL (the default)
    // on a server that skips fsync, as npm test's embedded one does; with fsync on, the two
    // checkpoints a file copy forces cost more, so `npm test` says which to use.
    else if (process.env.TEST_CLONE_BY_FILE_COPY === 'true')
      await admin`create database ${admin(name)} template ${admin(env('TEST_TEMPLATE'))} strategy file_copy`
    else await admin`create database ${admin(name)} template ${admin(env('TEST_TEMPLATE'))}`
  } finally {
    await admin.end()
  }
  t.teardown(async () => {
    const dropper = createSql(adminUrl(), { max: 1 })
    try {
      await dropper`drop database if exists ${dropper(name)} with (force)`
    } finally {
      await dropper.end()
    }
  })
  return { name, url: databaseUrl(name) }
}

/** A superuser connection to a test database, for arranging rows and checking state. */
export function ownerSql(t: Test, url: string): Sql {
  const sql = createSql(url, { max: 2, applicationName: 'core314-test-owner' })
  t.teardown(async () => {
    await sql.end({ timeout: 1 })
  })
  return sql
}
