// The typed Config the service runs with, built once at start from the environment. The
// variables themselves (type, default, range, meaning) are declared in src/config/schema.ts;
// this file names them for the code. Nothing else reads process.env: the Config is passed in,
// so tests build apps with any config.
import { ConfigError } from './config/error.js'
import { actionMap, actionTypes, allowedTargets, testBaselines, testSchedules, trustedProxies } from './config/lists.js'
import type { Env } from './config/schema.js'
import { validateEnv } from './config/validate.js'

export { ConfigError }

export type JobName = 'monitor' | 'detect' | 'predict' | 'heal' | 'selftest' | 'maintenance'

export interface Config {
  port: number
  /** Processes serving the API (WEB_CONCURRENCY); 0: one per CPU core. */
  webConcurrency: number
  host: string
  databaseUrl: string | undefined
  dataDir: string
  embeddedPgPort: number
  jwtSecret: string | undefined
  jwksUrl: string | undefined
  /** When set, tokens must name it in `aud`. */
  jwtAudience: string | undefined
  /** When set, tokens must carry it as `iss`. */
  jwtIssuer: string | undefined
  /** Encrypts stored secrets (webhook secrets); embedded mode generates one beside the data. */
  secretsKey: string | undefined
  openaiApiKey: string | undefined
  openaiBaseUrl: string | undefined
  openaiModel: string
  redisUrl: string | undefined
  rateLimitMax: number
  rateLimitWindow: string
  /** Failed authentications per client address per RATE_LIMIT_WINDOW before it gets 429. */
  authFailureMax: number
  /** Live event streams one caller may hold open per instance. */
  streamMaxPerCaller: number
  streamHeartbeatMs: number
  /** Fastify's trustProxy: false, the number of proxy hops, or the proxies' addresses and CIDRs. */
  trustProxy: false | number | string[]
  jobsEnabled: boolean
  /** How long an exclusive job's lock outlives its holder's silence (a frozen instance). */
  jobLockTimeoutMs: number
  /**
   * The longest an API request's database work may take: PostgreSQL cancels its statements and
   * ends its idle transaction past it, and the request answers 503 a second later at most.
   */
  dbRequestTimeoutMs: number
  /** The longest a single health event waits for its caller's other requests to share its commit. */
  eventCommitWaitMs: number
  /** A cron expression per job, or null when the job is switched off. */
  schedules: Record<JobName, string | null>
  logLevel: string
  healing: HealingConfig
  selftests: SelftestConfig
  detection: DetectionConfig
  prediction: PredictionConfig
  eventTime: EventTimeBounds
  integrations: IntegrationsConfig
}

/**
 * How far a health event's measurement_window_end (its event time) may lie from its arrival
 * (docs/event-time.md): late events within the bound count as if they had arrived on time.
 */
export interface EventTimeBounds {
  /** The oldest accepted, in ms before arrival; at least the detector's longest lookback by default. */
  maxLatenessMs: number
  /** The furthest ahead accepted, in ms after arrival: a writer's clock running fast. */
  maxFutureSkewMs: number
}

/** Alertmanager and OTLP ingest, and the organizations' notification channels (docs/integrations.md). */
export interface IntegrationsConfig {
  /** Labels whose first present value names an alert's component. */
  alertmanagerComponentLabels: string[]
  /** The largest OTLP export accepted, after decompression; larger ones get 413. */
  otlpMaxBodyBytes: number
  /** OTLP exports handled at once by this process; past it, 503 with Retry-After. */
  otlpMaxInFlight: number
  /** How often the dispatcher looks for due notifications. */
  channelDispatchIntervalMs: number
  /** Attempts before a notification is given up as failed (kept, with its last error). */
  channelMaxAttempts: number
  /** The longest wait between attempts (the backoff doubles up to it). */
  channelRetryMaxMs: number
  /** One attempt's time limit. */
  channelTimeoutMs: number
}

/**
 * The anomaly detector's rules and windows (docs/detection.md), passed to every run of the
 * route and the job as overrides of the detector's settings. Each field is the DETECT_*
 * variable of the same meaning; src/config/schema.ts describes them.
 */
export interface DetectionConfig {
  windowMinutes: number
  lookbackHours: number
  minHistoryPoints: number
  recoveryMinutes: number
  flapResolutions: number
  flapWindowMinutes: number
  flapHoldMinutes: number
  reopenMinutes: number
  adaptiveHistoryPoints: number
  ruleConfirmScore: number
  runBudgetMs: number
  catchUpStepMinutes: number
  catchUpBudgetMs: number
  /** The seed's thresholds: a multiple of the baseline and an absolute limit per rule. */
  rules: {
    latency_ms: { baselineFactor: number; absoluteLimit: number }
    error_rate: { baselineFactor: number; absoluteLimit: number }
    cpu_usage_percent: { absoluteLimit: number }
    memory_usage_percent: { absoluteLimit: number }
    disk_usage_percent: { absoluteLimit: number }
    throughput_drop: { baselineFactor: number }
    throughput_surge: { baselineFactor: number }
  }
}

/** The forecast of resources running out (docs/prediction.md); the PREDICT_* variables. */
export interface PredictionConfig {
  windowMinutes: number
  minPoints: number
  horizonHours: number
  signalHorizonMinutes: number
  minConfidence: number
  /** Where each forecast metric runs out. */
  limits: {
    memory_usage_percent: number
    disk_usage_percent: number
    db_connection_count: number
    error_rate: number
  }
}

/** The self-test runner's schedules, baselines and retention (docs/self-tests.md). */
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
  /** Action types that wait for an admin's approval, whatever a request says. */
  approvalTypes: string[]
  /** An action is approved by an admin other than the one who asked for it (off: single-admin installs). */
  fourEyes: boolean
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
  /** Open anomalies whose latest evidence is older than this are healed only when asked for by id. */
  maxEvidenceAgeMs: number
  escalationSlackWebhookUrl: string | undefined
  escalationWebhookUrl: string | undefined
  escalationWebhookSecret: string | undefined
  /**
   * Hosts (names or addresses) and CIDR ranges control targets may point at besides public
   * addresses; everything else non-public (loopback, private, link-local...) is refused.
   */
  allowedTargets: string[]
  /** Whether reset_connection may act on the service's own database and application names. */
  allowSelfReset: boolean
  /** The maintenance window a deploy marker opens for its component. */
  deployWindowMs: number
}

function scheduleOf(value: string): string | null {
  return value.toLowerCase() === 'off' ? null : value
}

function healingConfig(env: Env): HealingConfig {
  return {
    actionMap: actionMap('HEAL_ACTION_MAP', env.HEAL_ACTION_MAP),
    defaultAction: env.HEAL_DEFAULT_ACTION,
    approvalTypes: actionTypes('HEAL_APPROVAL_TYPES', env.HEAL_APPROVAL_TYPES),
    fourEyes: env.HEAL_FOUR_EYES,
    approvalTtlMs: env.HEAL_APPROVAL_TTL_SECONDS * 1000,
    cooldownMs: env.HEAL_COOLDOWN_SECONDS * 1000,
    maxActionsPerComponentPerHour: env.HEAL_MAX_ACTIONS_PER_HOUR,
    budgetPerMinute: env.HEAL_BUDGET_PER_MINUTE,
    verificationDelayMs: env.HEAL_VERIFY_DELAY_SECONDS * 1000,
    minImprovementPercent: env.HEAL_MIN_IMPROVEMENT_PERCENT,
    leaseGraceMs: env.HEAL_LEASE_GRACE_SECONDS * 1000,
    batchSize: env.HEAL_BATCH_SIZE,
    maxEvidenceAgeMs: env.HEAL_MAX_EVIDENCE_AGE_MINUTES * 60_000,
    escalationSlackWebhookUrl: env.ESCALATION_SLACK_WEBHOOK_URL,
    escalationWebhookUrl: env.ESCALATION_WEBHOOK_URL,
    escalationWebhookSecret: env.ESCALATION_WEBHOOK_SECRET,
    allowedTargets: allowedTargets('HEAL_ALLOWED_TARGETS', env.HEAL_ALLOWED_TARGETS),
    allowSelfReset: env.HEAL_ALLOW_SELF_RESET,
    deployWindowMs: env.DEPLOY_WINDOW_MINUTES * 60_000
  }
}

function integrationsConfig(env: Env): IntegrationsConfig {
  return {
    alertmanagerComponentLabels: env.ALERTMANAGER_COMPONENT_LABELS.split(',')
      .map(label => label.trim())
      .filter(label => label !== ''),
    otlpMaxBodyBytes: env.OTLP_MAX_BODY_BYTES,
    otlpMaxInFlight: env.OTLP_MAX_IN_FLIGHT,
    channelDispatchIntervalMs: env.CHANNEL_DISPATCH_INTERVAL_MS,
    channelMaxAttempts: env.CHANNEL_MAX_ATTEMPTS,
    channelRetryMaxMs: env.CHANNEL_RETRY_MAX_SECONDS * 1000,
    channelTimeoutMs: env.CHANNEL_TIMEOUT_SECONDS * 1000
  }
}

function selftestConfig(env: Env): SelftestConfig {
  return {
    schedules: testSchedules('SELFTEST_SCHEDULES', env.SELFTEST_SCHEDULES),
    baselines: testBaselines('SELFTEST_BASELINES', env.SELFTEST_BASELINES),
    baselineRuns: env.SELFTEST_BASELINE_RUNS,
    regressionPercent: env.SELFTEST_REGRESSION_PERCENT,
    regressionMinMs: env.SELFTEST_REGRESSION_MIN_MS,
    regressionRuns: env.SELFTEST_REGRESSION_RUNS,
    retentionDays: env.SELFTEST_RETENTION_DAYS,
    environment: env.SELFTEST_ENVIRONMENT
  }
}

function predictionConfig(env: Env): PredictionConfig {
  return {
    windowMinutes: env.PREDICT_WINDOW_MINUTES,
    minPoints: env.PREDICT_MIN_POINTS,
    horizonHours: env.PREDICT_HORIZON_HOURS,
    signalHorizonMinutes: env.PREDICT_SIGNAL_HORIZON_MINUTES,
    minConfidence: env.PREDICT_MIN_CONFIDENCE,
    limits: {
      memory_usage_percent: env.PREDICT_MEMORY_LIMIT_PERCENT,
      disk_usage_percent: env.PREDICT_DISK_LIMIT_PERCENT,
      db_connection_count: env.PREDICT_CONNECTION_LIMIT,
      error_rate: env.PREDICT_ERROR_RATE_LIMIT_PERCENT
    }
  }
}

function detectionConfig(env: Env): DetectionConfig {
  return {
    windowMinutes: env.DETECT_WINDOW_MINUTES,
    lookbackHours: env.DETECT_LOOKBACK_HOURS,
    minHistoryPoints: env.DETECT_WARMUP_POINTS,
    recoveryMinutes: env.DETECT_RECOVERY_MINUTES,
    flapResolutions: env.DETECT_FLAP_RESOLUTIONS,
    flapWindowMinutes: env.DETECT_FLAP_WINDOW_MINUTES,
    flapHoldMinutes: env.DETECT_FLAP_HOLD_MINUTES,
    reopenMinutes: env.DETECT_REOPEN_MINUTES,
    adaptiveHistoryPoints: env.DETECT_ADAPTIVE_HISTORY_POINTS,
    ruleConfirmScore: env.DETECT_RULE_CONFIRM_SCORE,
    runBudgetMs: env.DETECT_RUN_BUDGET_MS,
    catchUpStepMinutes: env.DETECT_CATCHUP_STEP_MINUTES,
    catchUpBudgetMs: env.DETECT_CATCHUP_BUDGET_MS,
    rules: {
      latency_ms: { baselineFactor: env.DETECT_LATENCY_BASELINE_FACTOR, absoluteLimit: env.DETECT_LATENCY_LIMIT_MS },
      error_rate: {
        baselineFactor: env.DETECT_ERROR_RATE_BASELINE_FACTOR,
        absoluteLimit: env.DETECT_ERROR_RATE_LIMIT_PERCENT
      },
      cpu_usage_percent: { absoluteLimit: env.DETECT_CPU_LIMIT_PERCENT },
      memory_usage_percent: { absoluteLimit: env.DETECT_MEMORY_LIMIT_PERCENT },
      disk_usage_percent: { absoluteLimit: env.DETECT_DISK_LIMIT_PERCENT },
      throughput_drop: { baselineFactor: env.DETECT_THROUGHPUT_DROP_FACTOR },
      throughput_surge: { baselineFactor: env.DETECT_THROUGHPUT_SURGE_FACTOR }
    }
  }
}

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

// Signing keys fetched over plain HTTP could be swapped by anyone on the path, and then any
// token verifies; only a key server on this machine may be reached without TLS.
function checkKeySetUrl(name: string, value: string | undefined): void {
  if (value === undefined) return
  const parsed = new URL(value)
  if (parsed.protocol === 'http:' && !LOOPBACK_HOSTS.test(parsed.hostname)) {
    throw new ConfigError(
      name,
      `must use https: (plain http: only for a loopback host such as 127.0.0.1), got ${parsed.origin}`
    )
  }
}

export function loadConfig(raw: Record<string, string | undefined> = process.env): Config {
  const env = validateEnv(raw)
  // Only the embedded database generates a secret of its own; an attached one needs real keys.
  if (env.DATABASE_URL !== undefined && env.JWT_SECRET === undefined && env.JWKS_URL === undefined) {
    throw new ConfigError('JWT_SECRET', 'is required (or JWKS_URL) when DATABASE_URL is set')
  }
  // Like the JWT secret, only the embedded database generates a key of its own.
  if (env.DATABASE_URL !== undefined && env.SECRETS_KEY === undefined) {
    throw new ConfigError(
      'SECRETS_KEY',
      'is required when DATABASE_URL is set (at least 32 characters; it encrypts the stored webhook secrets)'
    )
  }
  checkKeySetUrl('JWKS_URL', env.JWKS_URL)
  if (env.EMBEDDED_PG_PORT === 5432)
    throw new ConfigError('EMBEDDED_PG_PORT', 'must not be 5432, the system PostgreSQL port')

  return {
    port: env.PORT,
    webConcurrency: env.WEB_CONCURRENCY,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    embeddedPgPort: env.EMBEDDED_PG_PORT,
    jwtSecret: env.JWT_SECRET,
    jwksUrl: env.JWKS_URL,
    jwtAudience: env.JWT_AUDIENCE,
    jwtIssuer: env.JWT_ISSUER,
    secretsKey: env.SECRETS_KEY,
    openaiApiKey: env.OPENAI_API_KEY,
    openaiBaseUrl: env.OPENAI_BASE_URL,
    openaiModel: env.OPENAI_MODEL,
    redisUrl: env.REDIS_URL,
    rateLimitMax: env.RATE_LIMIT_MAX,
    rateLimitWindow: env.RATE_LIMIT_WINDOW,
    authFailureMax: env.RATE_LIMIT_AUTH_FAILURES,
    streamMaxPerCaller: env.STREAM_MAX_PER_CALLER,
    streamHeartbeatMs: env.STREAM_HEARTBEAT_SECONDS * 1000,
    trustProxy: trustedProxies('TRUST_PROXY', env.TRUST_PROXY),
    jobsEnabled: env.JOBS_ENABLED,
    jobLockTimeoutMs: env.JOB_LOCK_TIMEOUT_MS,
    dbRequestTimeoutMs: env.DB_REQUEST_TIMEOUT_MS,
    eventCommitWaitMs: env.EVENT_COMMIT_WAIT_MS,
    schedules: {
      monitor: scheduleOf(env.MONITOR_CRON),
      detect: scheduleOf(env.DETECT_CRON),
      predict: scheduleOf(env.PREDICT_CRON),
      heal: scheduleOf(env.HEAL_CRON),
      selftest: scheduleOf(env.SELFTEST_CRON),
      maintenance: scheduleOf(env.MAINTENANCE_CRON)
    },
    logLevel: env.LOG_LEVEL,
    healing: healingConfig(env),
    selftests: selftestConfig(env),
    detection: detectionConfig(env),
    prediction: predictionConfig(env),
    eventTime: {
      maxLatenessMs: env.EVENT_MAX_LATENESS_MINUTES * 60_000,
      maxFutureSkewMs: env.EVENT_MAX_FUTURE_SKEW_SECONDS * 1000
    },
    integrations: integrationsConfig(env)
  }
}
