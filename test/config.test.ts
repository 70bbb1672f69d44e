// Configuration is validated once: defaults from src/config/schema.ts, and a bad value names its variable.
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'
import { jobDefinitions } from '../src/jobs/index.js'
import { buildTestApp, type TestApp } from './helpers/app.js'
import { ownerSql } from './helpers/database.js'
import { evaluationTime, historyThen, insertSeries } from './services/detection/series.js'

t.test('defaults follow the contract', async t => {
  const config = loadConfig({})
  t.match(config, {
    port: 3000,
    host: '127.0.0.1',
    databaseUrl: undefined,
    openaiModel: 'gpt-4o',
    rateLimitMax: 1000,
    rateLimitWindow: '1 minute',
    jobsEnabled: true,
    schedules: {
      monitor: '* * * * *',
      detect: '* * * * *',
      heal: '* * * * *',
      selftest: '*/15 * * * *',
      maintenance: '17 * * * *'
    },
    logLevel: 'info'
  })
  t.not(config.embeddedPgPort, 5432)
})

t.test('six-field schedules are accepted and "off" disables a job', async t => {
  const config = loadConfig({ MONITOR_CRON: '*/10 * * * * *', HEAL_CRON: 'off' })
  t.equal(config.schedules.monitor, '*/10 * * * * *')
  t.equal(config.schedules.heal, null)
})

t.test('schedules are read by the grammar the scheduler ticks by', async t => {
  const config = loadConfig({ DETECT_CRON: '0 0 1,15 * 1', HEAL_CRON: '0 0 L * *' })
  t.equal(config.schedules.detect, '0 0 1,15 * 1')
  t.equal(config.schedules.heal, '0 0 L * *')
  t.throws(() => loadConfig({ DETECT_CRON: '* * * *' }), { name: 'ConfigError', message: /DETECT_CRON/ })
  t.throws(() => loadConfig({ SELFTEST_SCHEDULES: 'rls_isolation=* * * *' }), {
    message: /SELFTEST_SCHEDULES.*4 fields/
  })
})

t.test('self-test schedules, baselines and retention', async t => {
  t.match(loadConfig({}).selftests, {
    schedules: {},
    baselines: {},
    baselineRuns: 10,
    regressionPercent: 50,
    regressionMinMs: 100,
    regressionRuns: 2,
    retentionDays: 30,
    environment: 'production'
  })
  const config = loadConfig({
    SELFTEST_SCHEDULES: 'rls_isolation=*/5 * * * *; llm_reachability=off',
    SELFTEST_BASELINES: 'database_connectivity=3F0C6A52-1B7E-4C55-9A5E-1D2C3B4A5F60',
    SELFTEST_RETENTION_DAYS: '7'
  })
  t.same(config.selftests.schedules, { rls_isolation: '*/5 * * * *', llm_reachability: null })
  t.same(config.selftests.baselines, { database_connectivity: '3f0c6a52-1b7e-4c55-9a5e-1d2c3b4a5f60' })
  t.equal(config.selftests.retentionDays, 7)
})

t.test('JWKS_URL is https, or http only on a loopback host; JWT_AUDIENCE and JWT_ISSUER are read', async t => {
  const plain = (() => {
    try {
      loadConfig({ JWKS_URL: 'http://auth.example.com/jwks.json' })
      return null
    } catch (err) {
      return err as Error
    }
  })()
  t.match(plain?.message, /^JWKS_URL: must use https:/)
  for (const jwksUrl of [
    'https://auth.example.com/jwks.json',
    'http://127.0.0.1:9999/jwks.json',
    'http://localhost/jwks.json',
    'http://[::1]:8080/jwks.json'
  ]) {
    t.equal(loadConfig({ JWKS_URL: jwksUrl }).jwksUrl, jwksUrl, jwksUrl)
  }
  const config = loadConfig({ JWT_AUDIENCE: 'authenticated', JWT_ISSUER: 'https://auth.example.com' })
  t.same([config.jwtAudience, config.jwtIssuer], ['authenticated', 'https://auth.example.com'])
  t.same([loadConfig({}).jwtAudience, loadConfig({}).jwtIssuer], [undefined, undefined])
})

t.test(
  'TRUST_PROXY is a hop count or proxy addresses and CIDRs; unset, forwarded headers are not believed',
  async t => {
    t.equal(loadConfig({}).trustProxy, false)
    t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2)
    t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,fd00::/8' }).trustProxy, [
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8'
    ])
    t.equal(loadConfig({}).authFailureMax, 20)
    t.equal(loadConfig({ RATE_LIMIT_AUTH_FAILURES: '5' }).authFailureMax, 5)
  }
)

t.test('a bad value is refused with the variable named', async t => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ RATE_LIMIT_MAX: '0' }, 'RATE_LIMIT_MAX'],
    [{ RATE_LIMIT_WINDOW: 'a while' }, 'RATE_LIMIT_WINDOW'],
    [{ RATE_LIMIT_AUTH_FAILURES: '0' }, 'RATE_LIMIT_AUTH_FAILURES'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: 'proxy.internal' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '0' }, 'TRUST_PROXY'],
    [{ JOBS_ENABLED: 'maybe' }, 'JOBS_ENABLED'],
    [{ JOB_LOCK_TIMEOUT_MS: '100' }, 'JOB_LOCK_TIMEOUT_MS'],
    [{ DB_REQUEST_TIMEOUT_MS: '50' }, 'DB_REQUEST_TIMEOUT_MS'],
    [{ DETECT_CRON: 'every minute' }, 'DETECT_CRON'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://u@h/db' }, 'JWT_SECRET'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWKS_URL: 'not a url' }, 'JWKS_URL'],
    [{ JWKS_URL: 'http://auth.example.com/.well-known/jwks.json' }, 'JWKS_URL'],
    [{ JWKS_URL: 'http://10.0.0.5/jwks.json' }, 'JWKS_URL'],
    [{ REDIS_URL: 'http://127.0.0.1' }, 'REDIS_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ EMBEDDED_PG_PORT: '5432' }, 'EMBEDDED_PG_PORT'],
    [{ SELFTEST_SCHEDULES: 'rls_isolation' }, 'SELFTEST_SCHEDULES'],
    [{ SELFTEST_SCHEDULES: 'rls_isolation=every five minutes' }, 'SELFTEST_SCHEDULES'],
    [{ SELFTEST_BASELINES: 'database_connectivity=42' }, 'SELFTEST_BASELINES'],
    [{ SELFTEST_RETENTION_DAYS: '0' }, 'SELFTEST_RETENTION_DAYS'],
    [{ SELFTEST_REGRESSION_PERCENT: 'lots' }, 'SELFTEST_REGRESSION_PERCENT'],
    [{ SELFTEST_REGRESSION_MIN_MS: '-1' }, 'SELFTEST_REGRESSION_MIN_MS'],
    [{ SELFTEST_REGRESSION_RUNS: '0' }, 'SELFTEST_REGRESSION_RUNS']
  ]
  for (const [env, variable] of cases) {
    const error = (() => {
      try {
        loadConfig(env)
        return null
      } catch (err) {
        return err
      }
    })()
    t.type(error, ConfigError, variable)
    t.equal((error as ConfigError).variable, variable)
    t.match((error as Error).message, new RegExp(`^${variable}: `))
  }
})

t.test('healing policy: the defaults, the action map over the seed table, and bad values named', async t => {
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
    HEAL_FOUR_EYES: 'false',
    ESCALATION_SLACK_WEBHOOK_URL: 'https://hooks.slack.example/T/B/x'
  })
  t.same(config.healing.actionMap, {
    'latency_spike:high': 'restart_function',
    'disk_full:critical': 'alert_escalation'
  })
  t.same(config.healing.approvalTypes, ['rollback_deployment'])
  t.equal(config.healing.fourEyes, false)
  t.equal(loadConfig({}).healing.fourEyes, true, 'four eyes unless switched off')
  t.equal(config.healing.verificationDelayMs, 30_000)
  t.equal(config.healing.escalationSlackWebhookUrl, 'https://hooks.slack.example/T/B/x')
  for (const [env, variable] of [
    [{ HEAL_ACTION_MAP: 'latency_spike=restart_function' }, 'HEAL_ACTION_MAP'],
    [{ HEAL_ACTION_MAP: 'latency_spike:urgent=restart_function' }, 'HEAL_ACTION_MAP'],
    [{ HEAL_APPROVAL_TYPES: 'Scale Down' }, 'HEAL_APPROVAL_TYPES'],
    [{ HEAL_BUDGET_PER_MINUTE: '0' }, 'HEAL_BUDGET_PER_MINUTE'],
    [{ HEAL_FOUR_EYES: 'maybe' }, 'HEAL_FOUR_EYES'],
    [{ ESCALATION_WEBHOOK_URL: 'ftp://x' }, 'ESCALATION_WEBHOOK_URL']
  ] as Array<[Record<string, string>, string]>) {
    const error = (() => {
      try {
        loadConfig(env)
        return null
      } catch (err) {
        return err
      }
    })()
    t.equal((error as ConfigError | null)?.variable, variable)
  }
})

t.test("detector settings: the seed's defaults, decimals accepted, bad values named", async t => {
  t.same(loadConfig({}).detection, {
    windowMinutes: 15,
    lookbackHours: 24,
    minHistoryPoints: 30,
    recoveryMinutes: 15,
    flapResolutions: 2,
    flapWindowMinutes: 120,
    flapHoldMinutes: 60,
    reopenMinutes: 120,
    adaptiveHistoryPoints: 10_000,
    ruleConfirmScore: 0.999,
    runBudgetMs: 2500,
    catchUpStepMinutes: 5,
    catchUpBudgetMs: 20_000,
    rules: {
      latency_ms: { baselineFactor: 2, absoluteLimit: 2000 },
      error_rate: { baselineFactor: 2, absoluteLimit: 5 },
      cpu_usage_percent: { absoluteLimit: 80 },
      memory_usage_percent: { absoluteLimit: 85 },
      disk_usage_percent: { absoluteLimit: 90 },
      throughput_drop: { baselineFactor: 2 },
      throughput_surge: { baselineFactor: 2 }
    }
  })
  const config = loadConfig({
    DETECT_WINDOW_MINUTES: '10',
    DETECT_LOOKBACK_HOURS: '48',
    DETECT_WARMUP_POINTS: '60',
    DETECT_RECOVERY_MINUTES: '30',
    DETECT_FLAP_RESOLUTIONS: '3',
    DETECT_LATENCY_BASELINE_FACTOR: '1.5',
    DETECT_LATENCY_LIMIT_MS: '1200',
    DETECT_ERROR_RATE_LIMIT_PERCENT: '2.5',
    DETECT_DISK_LIMIT_PERCENT: '95',
    DETECT_THROUGHPUT_DROP_FACTOR: '4',
    DETECT_THROUGHPUT_SURGE_FACTOR: '3',
    DETECT_ADAPTIVE_HISTORY_POINTS: '200',
    DETECT_RULE_CONFIRM_SCORE: '0',
    DETECT_RUN_BUDGET_MS: '5000',
    DETECT_CATCHUP_STEP_MINUTES: '15',
    DETECT_CATCHUP_BUDGET_MS: '0'
  })
  t.match(config.detection, {
    windowMinutes: 10,
    lookbackHours: 48,
    minHistoryPoints: 60,
    recoveryMinutes: 30,
    flapResolutions: 3,
    adaptiveHistoryPoints: 200,
    ruleConfirmScore: 0,
    runBudgetMs: 5000,
    catchUpStepMinutes: 15,
    catchUpBudgetMs: 0,
    rules: {
      latency_ms: { baselineFactor: 1.5, absoluteLimit: 1200 },
      error_rate: { baselineFactor: 2, absoluteLimit: 2.5 },
      disk_usage_percent: { absoluteLimit: 95 },
      throughput_drop: { baselineFactor: 4 },
      throughput_surge: { baselineFactor: 3 }
    }
  })
  for (const [env, variable] of [
    [{ DETECT_WINDOW_MINUTES: '0' }, 'DETECT_WINDOW_MINUTES'],
    [{ DETECT_WINDOW_MINUTES: '1441' }, 'DETECT_WINDOW_MINUTES'],
    [{ DETECT_LOOKBACK_HOURS: 'a day' }, 'DETECT_LOOKBACK_HOURS'],
    [{ DETECT_WARMUP_POINTS: '2' }, 'DETECT_WARMUP_POINTS'],
    [{ DETECT_CATCHUP_STEP_MINUTES: '0' }, 'DETECT_CATCHUP_STEP_MINUTES'],
    [{ DETECT_CATCHUP_BUDGET_MS: '-1' }, 'DETECT_CATCHUP_BUDGET_MS'],
    [{ DETECT_RECOVERY_MINUTES: '-5' }, 'DETECT_RECOVERY_MINUTES'],
    [{ DETECT_FLAP_RESOLUTIONS: '0' }, 'DETECT_FLAP_RESOLUTIONS'],
    [{ DETECT_FLAP_WINDOW_MINUTES: '1.5' }, 'DETECT_FLAP_WINDOW_MINUTES'],
    [{ DETECT_FLAP_HOLD_MINUTES: 'forever' }, 'DETECT_FLAP_HOLD_MINUTES'],
    [{ DETECT_LATENCY_BASELINE_FACTOR: '0.5' }, 'DETECT_LATENCY_BASELINE_FACTOR'],
    [{ DETECT_LATENCY_LIMIT_MS: '2s' }, 'DETECT_LATENCY_LIMIT_MS'],
    [{ DETECT_ERROR_RATE_BASELINE_FACTOR: 'double' }, 'DETECT_ERROR_RATE_BASELINE_FACTOR'],
    [{ DETECT_ERROR_RATE_LIMIT_PERCENT: '5%' }, 'DETECT_ERROR_RATE_LIMIT_PERCENT'],
    [{ DETECT_CPU_LIMIT_PERCENT: '120' }, 'DETECT_CPU_LIMIT_PERCENT'],
    [{ DETECT_MEMORY_LIMIT_PERCENT: '0' }, 'DETECT_MEMORY_LIMIT_PERCENT'],
    [{ DETECT_DISK_LIMIT_PERCENT: '-1' }, 'DETECT_DISK_LIMIT_PERCENT'],
    [{ DETECT_THROUGHPUT_DROP_FACTOR: '0.5' }, 'DETECT_THROUGHPUT_DROP_FACTOR'],
    [{ DETECT_THROUGHPUT_SURGE_FACTOR: 'x3' }, 'DETECT_THROUGHPUT_SURGE_FACTOR'],
    [{ DETECT_ADAPTIVE_HISTORY_POINTS: '5' }, 'DETECT_ADAPTIVE_HISTORY_POINTS'],
    [{ DETECT_ADAPTIVE_HISTORY_POINTS: '-1' }, 'DETECT_ADAPTIVE_HISTORY_POINTS'],
    [{ DETECT_ADAPTIVE_HISTORY_POINTS: '1k' }, 'DETECT_ADAPTIVE_HISTORY_POINTS'],
    [{ DETECT_RUN_BUDGET_MS: '50' }, 'DETECT_RUN_BUDGET_MS']
  ] as Array<[Record<string, string>, string]>) {
    const error = (() => {
      try {
        loadConfig(env)
        return null
      } catch (err) {
        return err
      }
    })()
    t.type(error, ConfigError, variable)
    t.equal((error as ConfigError | null)?.variable, variable)
  }
})

t.test('configured detector settings reach the detect route and the detect job', async t => {
  // CPU steady at 70 %: under the seed's 80 % limit, over a configured 60 %.
  const at = evaluationTime(0)
  const cpuSeries = historyThen(at, 60, 70, 1, [70, 71, 70], 'cpu_usage_percent')
  const detect = async (ctx: TestApp) => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/anomalies/detect',
      headers: ctx.service.headers,
      payload: { at: at.toISOString(), analyze: false }
    })
    t.equal(res.statusCode, 200)
    return res.json()
  }

  const seed = await buildTestApp(t)
  await insertSeries(ownerSql(t, seed.databaseUrl), 'batch-worker', cpuSeries)
  t.match(await detect(seed), { components_evaluated: 1, created: 0 }, 'the default limit stays quiet')

  const lowered = await buildTestApp(t, {
    detection: loadConfig({ DETECT_CPU_LIMIT_PERCENT: '60', DETECT_WINDOW_MINUTES: '5' }).detection
  })
  const sql = ownerSql(t, lowered.databaseUrl)
  await insertSeries(sql, 'batch-worker', cpuSeries)
  const run = await detect(lowered)
  t.match(run, { window_minutes: 5, created: 1 }, "the configured window is the run's")
  t.match(run.signals, [
    {
      anomaly_type: 'resource_exhaustion',
      threshold_exceeded: 60,
      detection_algorithm: /rule:cpu_usage_percent>absolute_limit_60/
    }
  ])

  await sql`delete from anomaly_signals`
  const job = jobDefinitions({ config: lowered.config, db: lowered.app.db, healing: lowered.app.healing }).find(
    definition => definition.name === 'detect'
  )
  await job?.run({ tick: new Date(), signal: new AbortController().signal, log: lowered.app.log })
  t.match(
    await sql`select anomaly_type, threshold_exceeded from anomaly_signals`,
    [{ anomaly_type: 'resource_exhaustion', threshold_exceeded: 60 }],
    'the job runs with the same settings'
  )
})
