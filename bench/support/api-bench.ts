// The service in this process, listening on a free port over a fresh database of its own, with a
// service token: for benchmarks that drive the public API the way an agent does (bench:replay,
// bench:nab:live). Jobs are off and the rate limit out of reach, so the benchmark decides when
// detection runs (a route, or a job's tick) and how fast it calls.
import { loadConfig, type Config } from '../../src/config.js'
import { buildApp } from '../../src/app.js'
import { signToken } from '../../src/services/auth/tokens.js'
import { benchDatabase } from './database.js'

const SECRET = 'bench-api-secret-at-least-32-characters-long'

export interface ApiBench {
  config: Config
  /** The owner's URL of the benchmark's database. */
  databaseUrl: string
  /** Calls `path` as the service role, with `body` as JSON; the parsed answer, or an error naming the status. */
  call: (method: string, path: string, body?: unknown) => Promise<unknown>
  /** Runs one tick of the named scheduled job, as the scheduler would. */
  runJob: (name: string) => Promise<void>
  close: () => Promise<void>
}

/** `env`: configuration besides the database, the secrets, jobs, logging and the rate limit. */
export async function startApiBench(name: string, port: number, env: Record<string, string> = {}): Promise<ApiBench> {
  const database = await benchDatabase(name, port)
  const config = loadConfig({
    DATABASE_URL: database.url,
    JWT_SECRET: SECRET,
    SECRETS_KEY: `${SECRET}-sealing-key`,
    JOBS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '10000000',
    ...env
  })
  const app = await buildApp(config, { logger: false })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const token = await signToken(SECRET, { role: 'service_role' })
  return {
    config,
    databaseUrl: database.url,
    call: async (method, path, body) => {
      const res = await fetch(`${address}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' })
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
      return await res.json()
    },
    runJob: async name => {
      const outcome = await app.scheduler.tick(name)
      if (outcome !== 'succeeded') throw new Error(`job ${name}: ${outcome}`)
    },
    close: async () => {
      await app.close()
      await database.close()
    }
  }
}
