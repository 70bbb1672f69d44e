// Configuration is validated once: defaults from ../shared/API.md, and a bad value names its variable.
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

t.test('defaults follow the contract', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    port: 3000,
    host: '127.0.0.1',
    databaseUrl: undefined,
    openaiModel: 'gpt-4o',
    rateLimitMax: 1000,
    rateLimitWindow: '1 minute',
    jobsEnabled: true,
    schedules: { monitor: '* * * * *', detect: '* * * * *', heal: '* * * * *', selftest: '*/15 * * * *', maintenance: '17 * * * *' },
    logLevel: 'info'
  })
  t.not(config.embeddedPgPort, 5432)
})

t.test('six-field schedules are accepted and "off" disables a job', async (t) => {
  const config = loadConfig({ MONITOR_CRON: '*/10 * * * * *', HEAL_CRON: 'off' })
  t.equal(config.schedules.monitor, '*/10 * * * * *')
  t.equal(config.schedules.heal, null)
})

t.test('a bad value is refused with the variable named', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ RATE_LIMIT_MAX: '0' }, 'RATE_LIMIT_MAX'],
    [{ RATE_LIMIT_WINDOW: 'a while' }, 'RATE_LIMIT_WINDOW'],
    [{ JOBS_ENABLED: 'maybe' }, 'JOBS_ENABLED'],
    [{ DETECT_CRON: 'every minute' }, 'DETECT_CRON'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://u@h/db' }, 'JWT_SECRET'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWKS_URL: 'not a url' }, 'JWKS_URL'],
    [{ REDIS_URL: 'http://127.0.0.1' }, 'REDIS_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ EMBEDDED_PG_PORT: '5432' }, 'EMBEDDED_PG_PORT']
  ]
  for (const [env, variable] of cases) {
    const error = (() => { try { loadConfig(env); return null } catch (err) { return err } })()
    t.type(error, ConfigError, variable)
    t.equal((error as ConfigError).variable, variable)
    t.match((error as Error).message, new RegExp(`^${variable}: `))
  }
})
