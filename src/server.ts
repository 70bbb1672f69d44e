// The process entry: config -> database (embedded when DATABASE_URL is unset) -> migrations
// -> plain secrets sealed -> app -> listen; jobs start with the app. SIGTERM/SIGINT drain
// in-flight requests and running jobs, close the pool and exit 0; a second signal exits at once.
// With WEB_CONCURRENCY above 1 (or 0, one per core) this process prepares the database and
// then supervises that many workers, each building the app on the same port (src/cluster.ts).
import closeWithGrace from 'close-with-grace'
import path from 'node:path'
import { pino } from 'pino'
import { buildApp } from './app.js'
import {
  isWorker,
  primaryDrainWord,
  reportListening,
  runPrimary,
  serviceMetrics,
  shareMetrics,
  workerCount
} from './cluster.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createSql } from './db/client.js'
import { createDb } from './db/port.js'
import { provisionEmbedded, type EmbeddedDatabase } from './db/embedded.js'
import { migrate } from './db/migrate.js'
import { tolerateConnectionLoss } from './db/errors.js'
import { postgresPatchProblem } from './db/postgres-patch.js'
import { signToken } from './services/auth/tokens.js'
import { sealPlainSecrets } from './services/seal-secrets.js'
import { secretsKey } from './services/secrets.js'

const DEMO_ORGANIZATION = '00000000-0000-4000-8000-000000000314'
const DEMO_ADMIN = '00000000-0000-4000-8000-000000000001'

async function main(): Promise<void> {
  const drainWord = isWorker ? primaryDrainWord() : undefined
  const unpatched = await postgresPatchProblem()
  if (unpatched !== null) {
    console.error(`refusing to start: ${unpatched}`)
    process.exit(1)
  }
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`)
      process.exit(1)
    }
    throw err
  }

  if (drainWord !== undefined) {
    await serve(config, undefined, drainWord)
    return
  }

  let database: EmbeddedDatabase | undefined
  if (config.databaseUrl === undefined) ({ config, database } = await provisionEmbedded(config))

  const migrator = createSql(config.databaseUrl as string, { max: 1, applicationName: 'core314-migrate' })
  try {
    await migrate(migrator)
    const sealed = await sealPlainSecrets(createDb(migrator), secretsKey(config.secretsKey as string))
    if (sealed > 0)
      console.error(`sealed ${sealed} webhook secrets stored in plain text (now whsec_ + base64 of the old secret)`)
  } finally {
    await migrator.end()
  }

  const workers = workerCount(config.webConcurrency)
  const address =
    workers === 1
      ? await serve(config, database)
      : await runPrimary({
          count: workers,
          jobsEnabled: config.jobsEnabled,
          env: resolvedEnv(config),
          log: pino({ level: config.logLevel }).child({ component: 'primary' }),
          stopped: async () => {
            await database?.stop()
          }
        })
  if (database !== undefined) await printTokens(config, address)
}

/** What the primary resolved that a worker's own loadConfig() would not find in the environment. */
function resolvedEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {
    DATABASE_URL: config.databaseUrl as string,
    SECRETS_KEY: config.secretsKey as string
  }
  if (config.jwtSecret !== undefined) env.JWT_SECRET = config.jwtSecret
  return env
}

/** Builds the app and listens, in this process alone or in a worker; drains on the way out. */
async function serve(config: Config, database?: EmbeddedDatabase, drainWord?: Promise<void>): Promise<string> {
  const app = await buildApp(config, isWorker ? { serviceMetrics } : {})
  if (isWorker) shareMetrics(app.metrics.registry)
  // Losing a database connection must not take the service down; any other unhandled
  // rejection still shuts it down through close-with-grace, as an uncaught exception.
  tolerateConnectionLoss(err => {
    app.log.warn({ err }, 'database connection lost')
  })
  const grace = closeWithGrace(
    {
      delay: 30_000,
      logger: app.log,
      skip: isWorker ? ['unhandledRejection', 'SIGINT', 'SIGTERM'] : ['unhandledRejection']
    },
    async ({ signal, err }) => {
      if (err !== undefined) app.log.error({ err }, 'shutting down after an error')
      else app.log.info({ signal, worker: isWorker }, 'draining before exit')
      await app.close()
      await database?.stop()
    }
  )
  void drainWord?.then(async () => {
    await grace.close()
  })
  const address = await app.listen({ port: config.port, host: config.host })
  app.log.info(
    { address, docs: `${address}/docs`, console: `${address}/console`, embedded: database !== undefined },
    LISTENING
  )
  reportListening(address)
  return address
}

const LISTENING = 'Core314 self-healing service listening'

async function printTokens(config: Config, address: string): Promise<void> {
  if (config.jwtSecret === undefined) return
  const scope = { audience: config.jwtAudience, issuer: config.jwtIssuer }
  const admin = await signToken(
    config.jwtSecret,
    { sub: DEMO_ADMIN, role: 'authenticated', app_metadata: { role: 'admin', organization_id: DEMO_ORGANIZATION } },
    '7d',
    scope
  )
  const service = await signToken(config.jwtSecret, { role: 'service_role' }, '7d', scope)
  console.log(
    [
      '',
      `  API:      ${address}/v1`,
      `  Console:  ${address}/console`,
      `  Docs:     ${address}/docs`,
      `  Database: embedded PostgreSQL on 127.0.0.1:${config.embeddedPgPort}, data in ${path.resolve(config.dataDir)}`,
      '',
      // The token rides in the fragment, which browsers never send to a server or a log.
      '  Open the console signed in as the admin:',
      `    ${address}/console#token=${admin}`,
      '',
      '  Admin token (7 days):',
      `    ${admin}`,
      '  Service token (7 days):',
      `    ${service}`,
      ''
    ].join('\n')
  )
}

await main()
