// `npm test`: provides a PostgreSQL for the suite (DATABASE_URL's server, or an embedded one
// under .data/test-<port>), builds a migrated template database once, then runs tap. Every test
// file clones the template into a fresh database of its own (test/helpers/database.ts).
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { createSql } from '../src/db/client.js'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js'
import { migrate } from '../src/db/migrate.js'

const TEMPLATE = 'core314_test_template'
const TEST_DATABASE_PREFIX = 'core314_t_'

// tap only finds .ts test files through its `include` globs, so a folder given on the command
// line is expanded here into the test files below it.
function testFiles (arg: string): string[] {
  if (arg.startsWith('-') || !statSync(arg, { throwIfNoEntry: false })?.isDirectory()) return [arg]
  return readdirSync(arg, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => path.join(arg, file))
    .sort()
}

let database: EmbeddedDatabase | undefined
let adminUrl = process.env.DATABASE_URL
if (adminUrl === undefined || adminUrl === '') {
  // A data folder per port, so suites on different ports can run side by side.
  const port = Number(process.env.TEST_PG_PORT ?? 54330)
  // Test data is disposable: skipping durability makes every database clone and write cheaper.
  database = await startEmbeddedPostgres(path.resolve(`.data/test-${port}`), port, () => {}, ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'])
  adminUrl = database.url
}

const admin = createSql(adminUrl, { max: 1 })
let code = 1
try {
  const leftovers = await admin<{ datname: string }[]>`select datname from pg_database where datname like ${`${TEST_DATABASE_PREFIX}%`} or datname = ${TEMPLATE}`
  for (const { datname } of leftovers) await admin`drop database if exists ${admin(datname)} with (force)`
  await admin`create database ${admin(TEMPLATE)}`
  const templateUrl = new URL(adminUrl)
  templateUrl.pathname = `/${TEMPLATE}`
  const template = createSql(templateUrl.toString(), { max: 1 })
  try {
    await migrate(template)
  } finally {
    await template.end()
  }

  // Without a terminal (CI), plain TAP: the interactive reporter's redraws are unreadable in a log.
  const reporter = process.stdout.isTTY ? [] : ['--reporter=tap']
  const tap = spawn('npx', ['tap', ...reporter, ...process.argv.slice(2).flatMap(testFiles)], {
    stdio: 'inherit',
    env: { ...process.env, TEST_ADMIN_URL: adminUrl, TEST_TEMPLATE: TEMPLATE, TEST_DATABASE_PREFIX }
  })
  code = await new Promise<number>((resolve) => tap.on('exit', (exitCode) => resolve(exitCode ?? 1)))
} finally {
  await admin.end()
  await database?.stop()
}
process.exit(code)
