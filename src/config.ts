// Every environment variable the service reads, validated once at start. Nothing else in the
// code reads process.env: the typed Config is passed in, so tests build apps with any config.
import cron from 'node-cron'
import { DEFAULT_RULES } from './services/detection/rules.js'
import { DEFAULT_SETTINGS, type DetectorSettings } from './services/detection/settings.js'

export type JobName = 'monitor' | 'detect' | 'heal' | 'selftest' | 'maintenance'

export interface Config {
  port: number
  host: string
  databaseUrl: string | undefined
  dataDir: string
  embeddedPgPort: number
  jwtSecret: string | undefined
  jwksUrl: string | undefined
  openaiApiKey: string | undefined
  openaiBaseUrl: string | undefined
  openaiModel: string
  redisUrl: string | undefined
  rateLimitMax: number
  rateLimitWindow: string
  jobsEnabled: boolean
  /** How long an exclusive job's lock outlives its holder's silence (a frozen instance). */
  jobLockTimeoutMs: number
  /**
   * The longest an API request's database work may take: PostgreSQL cancels its statements and
   * ends its idle transaction past it, and the request answers 503 a second later at most.
   */
  dbRequestTimeoutMs: number
  /** A cron expression per job, or null when the job is switched off. */
  schedules: Record<JobName, string | null>
  logLevel: string
  healing: HealingConfig
  selftests: SelftestConfig
  detection: DetectionConfig
}

/**
 * The anomaly detector's rules and windows (README "How detection works"), passed to every run
 * of the route and the job; the defaults are the seed's rules and DEFAULT_SETTINGS.
 */
export interface DetectionConfig extends Pick<DetectorSettings, 'windowMinutes' | 'lookbackHours' | 'minHistoryPoints' | 'recoveryMinutes'
  | 'flapResolutions' | 'flapWindowMinutes' | 'flapHoldMinutes' | 'adaptiveHistoryPoints' | 'adaptiveBudgetMs' | 'runBudgetMs'> {
  /** The seed's thresholds: a multiple of the baseline and an absolute limit per metric. */
  rules: {
    latency_ms: { baselineFactor: number, absoluteLimit: number }
    error_rate: { baselineFactor: number, absoluteLimit: number }
    cpu_usage_percent: { absoluteLimit: number }
    memory_usage_percent: { absoluteLimit: number }
    disk_usage_percent: { absoluteLimit: number }
  }
}

/** The self-test runner's schedules, baselines and retention (README "Self-tests"). */
export interface SelftestConfig {
  /** Test name -> its own cron expression (null: not scheduled); the rest run on SELFTEST_CRON. */
  schedules: Record<string, string | null>
  /** Test name -> the result id pinned as its baseline, instead of the median of recent runs. */
  baselines: Record<string, string>
  /** Successful runs whose median is the baseline. */
  baselineRuns: number
  /** Slower than the baseline by more than this percentage is a regression... */
  regressionPercent: number
  /** ...when it is also at least this many milliseconds slower: a 2 ms probe taking 4 ms is noise. */
  regressionMinMs: number
  /** Consecutive regressed runs (this one included) before a selftest_regression signal opens. */
  regressionRuns: number
  /** Results older than this are deleted by the maintenance job. */
  retentionDays: number
  /** Recorded as target_environment. */
  environment: string
}

/** The self-healing engine's policy; delays are milliseconds so tests can run them quickly. */
export interface HealingConfig {
  /** 'anomaly_type:severity' -> action type, over the seed's table. */
  actionMap: Record<string, string>
  /** The action for anomalies the map does not name. */
  defaultAction: string
  /** Action types that wait for an admin's approval. */
  approvalTypes: string[]
  approvalTtlMs: number
  /** No second automatic action of a type on a component within this time. */
  cooldownMs: number
  maxActionsPerComponentPerHour: number
  budgetPerMinute: number
  /** How long after an action succeeds its effect is measured. */
  verificationDelayMs: number
  /** The mean improvement of the target's metrics that counts as verified. */
  minImprovementPercent: number
  /** A lease lasts the action's timeout plus this, so a live instance never loses it mid-attempt. */
  leaseGraceMs: number
  /** Actions claimed at once by one instance. */
  batchSize: number
  escalationSlackWebhookUrl: string | undefined
  escalationWebhookUrl: string | undefined
  escalationWebhookSecret: string | undefined
}

export class ConfigError extends Error {
  constructor (readonly variable: string, message: string) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function text (env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function integer (env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

function decimal (env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(name, `must be a number such as 2 or 1.5, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

function boolean (env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name)?.toLowerCase()
  if (raw === undefined) return fallback
  if (['true', '1', 'yes', 'on'].includes(raw)) return true
  if (['false', '0', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(name, `must be true or false, got "${raw}"`)
}

function url (env: Env, name: string, protocols: string[]): string | undefined {
  const raw = text(env, name)
  if (raw === undefined) return undefined
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(name, 'must be a URL')
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`)
  }
  return raw
}

function schedule (env: Env, name: string, fallback: string): string | null {
  const raw = text(env, name) ?? fallback
  if (raw.toLowerCase() === 'off') return null
  if (!cron.validate(raw)) throw new ConfigError(name, `is not a cron expression (5 or 6 fields, or "off"): "${raw}"`)
  return raw
}

// "1 minute", "30 seconds", "2 hours": the forms @fastify/rate-limit accepts through `ms`.
function window (env: Env, name: string, fallback: string): string {
  const raw = text(env, name) ?? fallback
  if (!/^\d+\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?)$/i.test(raw)) {
    throw new ConfigError(name, `must be a duration such as "1 minute" or "30 seconds", got "${raw}"`)
  }
  return raw
}

const SEVERITIES = ['low', 'medium', 'high', 'critical']
const SNAKE = /^[a-z][a-z0-9_]{0,63}$/

// "latency_spike:critical=restart_function,error_rate_increase:high=circuit_breaker"
function actionMap (env: Env, name: string): Record<string, string> {
  const raw = text(env, name)
  if (raw === undefined) return {}
  const entries = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry) => {
    const match = /^([a-z][a-z0-9_]{0,63}):([a-z]+)=([a-z][a-z0-9_]{0,63})$/.exec(entry)
    if (match === null || !SEVERITIES.includes(match[2] as string)) {
      throw new ConfigError(name, `entries are anomaly_type:severity=action_type with severity one of ${SEVERITIES.join(', ')}, got "${entry}"`)
    }
    return [`${match[1] as string}:${match[2] as string}`, match[3] as string]
  })
  return Object.fromEntries(entries)
}

function names (env: Env, name: string, fallback: string[]): string[] {
  const raw = text(env, name)
  if (raw === undefined) return fallback
  const list = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  const bad = list.find((entry) => !SNAKE.test(entry))
  if (bad !== undefined) throw new ConfigError(name, `must be a comma-separated list of action types, got "${bad}"`)
  return list
}

function healingConfig (env: Env): HealingConfig {
  const defaultAction = text(env, 'HEAL_DEFAULT_ACTION') ?? 'alert_escalation'
  if (!SNAKE.test(defaultAction)) throw new ConfigError('HEAL_DEFAULT_ACTION', `must be an action type, got "${defaultAction}"`)
  const seconds = (name: string, fallback: number, max: number): number => integer(env, name, fallback, 0, max) * 1000
  return {
    actionMap: actionMap(env, 'HEAL_ACTION_MAP'),
    defaultAction,
    approvalTypes: names(env, 'HEAL_APPROVAL_TYPES', ['rollback_deployment', 'scale_down']),
    approvalTtlMs: seconds('HEAL_APPROVAL_TTL_SECONDS', 3600, 7 * 86400),
    cooldownMs: seconds('HEAL_COOLDOWN_SECONDS', 600, 86400),
    maxActionsPerComponentPerHour: integer(env, 'HEAL_MAX_ACTIONS_PER_HOUR', 6, 1, 10_000),
    budgetPerMinute: integer(env, 'HEAL_BUDGET_PER_MINUTE', 20, 1, 100_000),
    verificationDelayMs: seconds('HEAL_VERIFY_DELAY_SECONDS', 120, 86400),
    minImprovementPercent: integer(env, 'HEAL_MIN_IMPROVEMENT_PERCENT', 10, 0, 100),
    leaseGraceMs: seconds('HEAL_LEASE_GRACE_SECONDS', 30, 3600),
    batchSize: integer(env, 'HEAL_BATCH_SIZE', 20, 1, 1000),
    escalationSlackWebhookUrl: url(env, 'ESCALATION_SLACK_WEBHOOK_URL', ['http:', 'https:']),
    escalationWebhookUrl: url(env, 'ESCALATION_WEBHOOK_URL', ['http:', 'https:']),
    escalationWebhookSecret: text(env, 'ESCALATION_WEBHOOK_SECRET')
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

// "rls_isolation=*/5 * * * *;llm_reachability=off": ';' separates entries, since cron uses ','.
function testEntries<T> (env: Env, name: string, value: (raw: string, entry: string) => T): Record<string, T> {
  const raw = text(env, name)
  if (raw === undefined) return {}
  const entries = raw.split(';').map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry) => {
    const match = /^([a-z][a-z0-9_]{0,63})\s*=\s*(.+)$/.exec(entry)
    if (match === null) throw new ConfigError(name, `entries are test_name=value separated by ";", got "${entry}"`)
    return [match[1] as string, value((match[2] as string).trim(), entry)] as const
  })
  return Object.fromEntries(entries)
}

function selftestConfig (env: Env): SelftestConfig {
  return {
    schedules: testEntries(env, 'SELFTEST_SCHEDULES', (raw, entry) => {
      if (raw.toLowerCase() === 'off') return null
      if (!cron.validate(raw)) throw new ConfigError('SELFTEST_SCHEDULES', `"${entry}" does not end in a cron expression (5 or 6 fields) or "off"`)
      return raw
    }),
    baselines: testEntries(env, 'SELFTEST_BASELINES', (raw, entry) => {
      if (!UUID.test(raw)) throw new ConfigError('SELFTEST_BASELINES', `"${entry}" does not end in a result id (a UUID)`)
      return raw.toLowerCase()
    }),
    baselineRuns: integer(env, 'SELFTEST_BASELINE_RUNS', 10, 1, 100),
    regressionPercent: integer(env, 'SELFTEST_REGRESSION_PERCENT', 50, 1, 1000),
    regressionMinMs: integer(env, 'SELFTEST_REGRESSION_MIN_MS', 100, 0, 600_000),
    regressionRuns: integer(env, 'SELFTEST_REGRESSION_RUNS', 2, 1, 100),
    retentionDays: integer(env, 'SELFTEST_RETENTION_DAYS', 30, 1, 3650),
    environment: text(env, 'SELFTEST_ENVIRONMENT') ?? 'production'
  }
}

function detectionConfig (env: Env): DetectionConfig {
  const minutes = (name: string, fallback: number): number => integer(env, name, fallback, 1, 7 * 1440)
  const percent = (name: string, fallback: number): number => decimal(env, name, fallback, 0.1, 100)
  const factor = (name: string, fallback: number): number => decimal(env, name, fallback, 1, 100)
  return {
    windowMinutes: integer(env, 'DETECT_WINDOW_MINUTES', DEFAULT_SETTINGS.windowMinutes, 1, 1440),
    lookbackHours: integer(env, 'DETECT_LOOKBACK_HOURS', DEFAULT_SETTINGS.lookbackHours, 1, 168),
    minHistoryPoints: integer(env, 'DETECT_WARMUP_POINTS', DEFAULT_SETTINGS.minHistoryPoints, 3, 10_000),
    recoveryMinutes: minutes('DETECT_RECOVERY_MINUTES', DEFAULT_SETTINGS.recoveryMinutes),
    flapResolutions: integer(env, 'DETECT_FLAP_RESOLUTIONS', DEFAULT_SETTINGS.flapResolutions, 1, 100),
    flapWindowMinutes: minutes('DETECT_FLAP_WINDOW_MINUTES', DEFAULT_SETTINGS.flapWindowMinutes),
    flapHoldMinutes: minutes('DETECT_FLAP_HOLD_MINUTES', DEFAULT_SETTINGS.flapHoldMinutes),
    adaptiveHistoryPoints: integer(env, 'DETECT_ADAPTIVE_HISTORY_POINTS', DEFAULT_SETTINGS.adaptiveHistoryPoints, 10, 100_000),
    adaptiveBudgetMs: integer(env, 'DETECT_ADAPTIVE_BUDGET_MS', DEFAULT_SETTINGS.adaptiveBudgetMs, 0, 60_000),
    runBudgetMs: integer(env, 'DETECT_RUN_BUDGET_MS', DEFAULT_SETTINGS.runBudgetMs, 100, 60_000),
    rules: {
      latency_ms: {
        baselineFactor: factor('DETECT_LATENCY_BASELINE_FACTOR', DEFAULT_RULES.latency_ms.baselineFactor),
        absoluteLimit: decimal(env, 'DETECT_LATENCY_LIMIT_MS', DEFAULT_RULES.latency_ms.absoluteLimit, 1, 3_600_000)
      },
      error_rate: {
        baselineFactor: factor('DETECT_ERROR_RATE_BASELINE_FACTOR', DEFAULT_RULES.error_rate.baselineFactor),
        absoluteLimit: percent('DETECT_ERROR_RATE_LIMIT_PERCENT', DEFAULT_RULES.error_rate.absoluteLimit)
      },
      cpu_usage_percent: { absoluteLimit: percent('DETECT_CPU_LIMIT_PERCENT', DEFAULT_RULES.cpu_usage_percent.absoluteLimit) },
      memory_usage_percent: { absoluteLimit: percent('DETECT_MEMORY_LIMIT_PERCENT', DEFAULT_RULES.memory_usage_percent.absoluteLimit) },
      disk_usage_percent: { absoluteLimit: percent('DETECT_DISK_LIMIT_PERCENT', DEFAULT_RULES.disk_usage_percent.absoluteLimit) }
    }
  }
}

export function loadConfig (env: Env = process.env): Config {
  const jwtSecret = text(env, 'JWT_SECRET')
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 characters for HS256')
  }
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'])
  const jwksUrl = url(env, 'JWKS_URL', ['http:', 'https:'])
  // Only the embedded database generates a secret of its own; an attached one needs real keys.
  if (databaseUrl !== undefined && jwtSecret === undefined && jwksUrl === undefined) {
    throw new ConfigError('JWT_SECRET', 'is required (or JWKS_URL) when DATABASE_URL is set')
  }
  const logLevel = text(env, 'LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`)
  const port = integer(env, 'EMBEDDED_PG_PORT', 54329, 1024, 65535)
  if (port === 5432) throw new ConfigError('EMBEDDED_PG_PORT', 'must not be 5432, the system PostgreSQL port')

  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST') ?? '127.0.0.1',
    databaseUrl,
    dataDir: text(env, 'DATA_DIR') ?? '.data',
    embeddedPgPort: port,
    jwtSecret,
    jwksUrl,
    openaiApiKey: text(env, 'OPENAI_API_KEY'),
    openaiBaseUrl: url(env, 'OPENAI_BASE_URL', ['http:', 'https:']),
    openaiModel: text(env, 'OPENAI_MODEL') ?? 'gpt-4o',
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    rateLimitMax: integer(env, 'RATE_LIMIT_MAX', 1000, 1, 10_000_000),
    rateLimitWindow: window(env, 'RATE_LIMIT_WINDOW', '1 minute'),
    jobsEnabled: boolean(env, 'JOBS_ENABLED', true),
    jobLockTimeoutMs: integer(env, 'JOB_LOCK_TIMEOUT_MS', 30_000, 500, 3_600_000),
    dbRequestTimeoutMs: integer(env, 'DB_REQUEST_TIMEOUT_MS', 15_000, 100, 600_000),
    schedules: {
      monitor: schedule(env, 'MONITOR_CRON', '* * * * *'),
      detect: schedule(env, 'DETECT_CRON', '* * * * *'),
      heal: schedule(env, 'HEAL_CRON', '* * * * *'),
      selftest: schedule(env, 'SELFTEST_CRON', '*/15 * * * *'),
      maintenance: schedule(env, 'MAINTENANCE_CRON', '17 * * * *')
    },
    logLevel,
    healing: healingConfig(env),
    selftests: selftestConfig(env),
    detection: detectionConfig(env)
  }
}
