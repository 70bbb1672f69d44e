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

t.test('self-test schedules, baselines and retention', async (t) => {
  t.match(loadConfig({}).selftests, { schedules: {}, baselines: {}, baselineRuns: 10, regressionPercent: 50, regressionMinMs: 100, retentionDays: 30, environment: 'production' })
  const config = loadConfig({
    SELFTEST_SCHEDULES: 'rls_isolation=*/5 * * * *; llm_reachability=off',
    SELFTEST_BASELINES: 'database_connectivity=3F0C6A52-1B7E-4C55-9A5E-1D2C3B4A5F60',
    SELFTEST_RETENTION_DAYS: '7'
  })
  t.same(config.selftests.schedules, { rls_isolation: '*/5 * * * *', llm_reachability: null })
  t.same(config.selftests.baselines, { database_connectivity: '3f0c6a52-1b7e-4c55-9a5e-1d2c3b4a5f60' })
  t.equal(config.selftests.retentionDays, 7)
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
    [{ EMBEDDED_PG_PORT: '5432' }, 'EMBEDDED_PG_PORT'],
    [{ SELFTEST_SCHEDULES: 'rls_isolation' }, 'SELFTEST_SCHEDULES'],
    [{ SELFTEST_SCHEDULES: 'rls_isolation=every five minutes' }, 'SELFTEST_SCHEDULES'],
    [{ SELFTEST_BASELINES: 'database_connectivity=42' }, 'SELFTEST_BASELINES'],
    [{ SELFTEST_RETENTION_DAYS: '0' }, 'SELFTEST_RETENTION_DAYS'],
    [{ SELFTEST_REGRESSION_PERCENT: 'lots' }, 'SELFTEST_REGRESSION_PERCENT'],
    [{ SELFTEST_REGRESSION_MIN_MS: '-1' }, 'SELFTEST_REGRESSION_MIN_MS']
  ]
  for (const [env, variable] of cases) {
    const error = (() => { try { loadConfig(env); return null } catch (err) { return err } })()
    t.type(error, ConfigError, variable)
    t.equal((error as ConfigError).variable, variable)
    t.match((error as Error).message, new RegExp(`^${variable}: `))
  }
})

t.test('healing policy: the defaults, the action map over the seed table, and bad values named', async (t) => {
  t.match(loadConfig({}).healing, {
    actionMap: {},
    defaultAction: 'alert_escalation',
    approvalTypes: ['rollback_deployment', 'scale_down'],
    approvalTtlMs: 3_600_000,
    cooldownMs: 600_000,
    maxActionsPerComponentPerHour: 6,
    budgetPerMinute: 20,
    verificationDelayMs: 120_000,
    minImprovementPercent: 10,
    escalationSlackWebhookUrl: undefined
  })
  const config = loadConfig({
    HEAL_ACTION_MAP: 'latency_spike:high=restart_function, disk_full:critical=alert_escalation',
    HEAL_APPROVAL_TYPES: 'rollback_deployment',
    HEAL_VERIFY_DELAY_SECONDS: '30',
    ESCALATION_SLACK_WEBHOOK_URL: 'https://hooks.slack.example/T/B/x'
  })
  t.same(config.healing.actionMap, { 'latency_spike:high': 'restart_function', 'disk_full:critical': 'alert_escalation' })
  t.same(config.healing.approvalTypes, ['rollback_deployment'])
  t.equal(config.healing.verificationDelayMs, 30_000)
  t.equal(config.healing.escalationSlackWebhookUrl, 'https://hooks.slack.example/T/B/x')
  for (const [env, variable] of [
    [{ HEAL_ACTION_MAP: 'latency_spike=restart_function' }, 'HEAL_ACTION_MAP'],
    [{ HEAL_ACTION_MAP: 'latency_spike:urgent=restart_function' }, 'HEAL_ACTION_MAP'],
    [{ HEAL_APPROVAL_TYPES: 'Scale Down' }, 'HEAL_APPROVAL_TYPES'],
    [{ HEAL_BUDGET_PER_MINUTE: '0' }, 'HEAL_BUDGET_PER_MINUTE'],
    [{ ESCALATION_WEBHOOK_URL: 'ftp://x' }, 'ESCALATION_WEBHOOK_URL']
  ] as Array<[Record<string, string>, string]>) {
    const error = (() => { try { loadConfig(env); return null } catch (err) { return err } })()
    t.equal((error as ConfigError | null)?.variable, variable)
  }
})
