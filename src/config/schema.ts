// Every environment variable the service reads, declared once: its type, default, range and
// what it means. src/config.ts validates the environment against this, the detector takes its
// defaults from it, and `npm run config:docs` writes .env.example and docs/configuration.md
// from it (test/config-docs.test.ts fails when either drifts).
import Type, { type Static } from 'typebox'

// Annotations beside the JSON Schema keywords: `mustBe` words the complaint when a format,
// pattern or enum refuses a value; `protocols` lists the URL schemes a URL variable accepts;
// `secret` keeps a value out of complaints; `unit` and `list` only shape the generated documents.
// A type literal, not an interface: TypeBox's option types need its implicit index signature.
type Annotations = {
  description: string
  pattern?: string
  minLength?: number
  mustBe?: string
  examples?: string[]
  unit?: string
  /** Never echoed in a complaint. */
  secret?: boolean
  /** The value is a list parsed by src/config/lists.ts: this names its syntax. */
  list?: string
}

const integer = (fallback: number, minimum: number, maximum: number, annotations: Annotations) =>
  Type.Integer({ default: fallback, minimum, maximum, ...annotations })
const decimal = (fallback: number, minimum: number, maximum: number, annotations: Annotations) =>
  Type.Number({ default: fallback, minimum, maximum, ...annotations })
const text = (fallback: string, annotations: Annotations) => Type.String({ default: fallback, ...annotations })
const optionalText = (annotations: Annotations) => Type.Optional(Type.String(annotations))
const optionalUrl = (protocols: string[], annotations: Annotations) =>
  Type.Optional(Type.String({ protocols, ...annotations }))
const schedule = (fallback: string, description: string) =>
  Type.String({
    default: fallback,
    format: 'schedule',
    mustBe: 'a cron expression (5 or 6 fields, seconds first) or "off"',
    description
  })

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
export const ACTION_TYPE_PATTERN = '^[a-z][a-z0-9_]{0,63}$'

/** The variables in the order the documents list them, grouped under a heading each. */
export const ENV_GROUPS = [
  {
    title: 'Server',
    description: 'The HTTP listener, its rate limit and logging.',
    variables: {
      PORT: integer(3000, 0, 65535, { description: 'Port the API listens on (0: any free port).' }),
      HOST: text('127.0.0.1', { description: 'Address the API listens on; 0.0.0.0 for every interface.' }),
      WEB_CONCURRENCY: integer(1, 0, 64, {
        description:
          'Processes serving the API on one port (node:cluster): 1 serves from the started process itself; 0 starts one per CPU core the process may be scheduled on (not a container CPU quota). Jobs run in the first worker only; /metrics answers for all of them. Each worker has its own pool and, without REDIS_URL, its own rate-limit counts. 1 by default: beside PostgreSQL on two cores, workers gave no steady gain (docs/scaling.md).'
      }),
      LOG_LEVEL: Type.String({
        default: 'info',
        enum: LOG_LEVELS,
        mustBe: `one of ${LOG_LEVELS.join(', ')}`,
        description: 'pino log level.'
      }),
      RATE_LIMIT_MAX: integer(1000, 1, 10_000_000, { description: 'Requests per caller per RATE_LIMIT_WINDOW.' }),
      RATE_LIMIT_WINDOW: text('1 minute', {
        pattern: '^\\d+\\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?)$',
        mustBe: 'a duration such as "1 minute" or "30 seconds"',
        description: "The rate limit's window, in the forms @fastify/rate-limit accepts."
      }),
      RATE_LIMIT_AUTH_FAILURES: integer(20, 1, 1_000_000, {
        description:
          'Failed authentications per client address per RATE_LIMIT_WINDOW; past it the address gets 429 before any token is verified.'
      }),
      STREAM_MAX_PER_CALLER: integer(5, 1, 1000, {
        description:
          'Live event streams (GET /v1/stream) one caller may hold open at once per instance; past it a new one gets 429.'
      }),
      STREAM_HEARTBEAT_SECONDS: integer(15, 1, 300, {
        unit: 's',
        description: 'How often an idle event stream sends a comment line, so proxies and clients see it is alive.'
      }),
      TRUST_PROXY: optionalText({
        list: 'a hop count, or proxy addresses and CIDRs separated by ","',
        description:
          'Behind a proxy: which X-Forwarded-For entries to believe (Fastify trustProxy); unset: the header is ignored.',
        examples: ['1']
      }),
      REDIS_URL: optionalUrl(['redis:', 'rediss:'], {
        description: 'Shared rate-limit store for several instances; unset: each instance counts alone.',
        examples: ['redis://127.0.0.1:6379']
      }),
      DB_REQUEST_TIMEOUT_MS: integer(15_000, 100, 600_000, {
        unit: 'ms',
        description:
          "The longest an API request's database work may take; past it the request answers 503 with nothing stored."
      })
    }
  },
  {
    title: 'Database',
    description: 'PostgreSQL: an attached server, or an embedded one started under DATA_DIR.',
    variables: {
      DATABASE_URL: optionalUrl(['postgres:', 'postgresql:'], {
        description: 'The PostgreSQL to use; unset: an embedded PostgreSQL under DATA_DIR.',
        examples: ['postgres://user:password@host:5432/core314']
      }),
      DATA_DIR: text('.data', {
        description: 'The embedded database, its password, the generated JWT secret and SECRETS_KEY.'
      }),
      EMBEDDED_PG_PORT: integer(54329, 1024, 65535, {
        description: "Port of the embedded PostgreSQL; never 5432, the system PostgreSQL's."
      }),
      EVENT_COMMIT_WAIT_MS: integer(4, 0, 50, {
        unit: 'ms',
        description:
          "The longest a single health event (POST /v1/health-events without an Idempotency-Key) waits for its caller's other requests, answered a moment ago and coming back, to share its commit; only while fewer are at hand than lately were at once, never for a lone caller. 0: never waits (docs/scaling.md)."
      })
    }
  },
  {
    title: 'Authentication',
    description: 'Bearer JWTs: HS256 with a shared secret, or keys from a JWKS endpoint.',
    variables: {
      JWT_SECRET: optionalText({
        secret: true,
        minLength: 32,
        mustBe: 'at least 32 characters for HS256',
        description:
          'HS256 secret; required with DATABASE_URL unless JWKS_URL is set (the embedded database generates one).',
        examples: ['at-least-32-characters-of-secret']
      }),
      JWKS_URL: optionalUrl(['http:', 'https:'], {
        description: 'JWKS endpoint whose keys verify tokens; https, or http only for a loopback host.',
        examples: ['https://your-project.supabase.co/auth/v1/.well-known/jwks.json']
      }),
      JWT_AUDIENCE: optionalText({ description: "When set, a token's aud must name it.", examples: ['authenticated'] }),
      JWT_ISSUER: optionalText({
        description: "When set, a token's iss must be it.",
        examples: ['https://your-project.supabase.co/auth/v1']
      }),
      SECRETS_KEY: optionalText({
        secret: true,
        minLength: 32,
        mustBe: 'at least 32 characters',
        description:
          'Encrypts stored webhook and channel secrets (AES-256-GCM); required with DATABASE_URL (the embedded database generates one into DATA_DIR). Changing it makes stored secrets unusable (docs/control-targets.md).',
        examples: ['at-least-32-characters-of-secret']
      })
    }
  },
  {
    title: 'LLM analysis',
    description: 'An OpenAI-compatible API for anomaly analysis; without a key the rule-based analysis stands alone.',
    variables: {
      OPENAI_API_KEY: optionalText({ secret: true, description: 'API key; unset: no LLM calls.' }),
      OPENAI_BASE_URL: optionalUrl(['http:', 'https:'], {
        description: 'Base URL of an OpenAI-compatible API.',
        examples: ['https://api.openai.com/v1']
      }),
      OPENAI_MODEL: text('gpt-4o', { description: 'Model asked for analyses.' })
    }
  },
  {
    title: 'Jobs',
    description: 'The scheduled jobs. A schedule is a cron expression of 5 fields, or 6 with seconds first, or "off".',
    variables: {
      JOBS_ENABLED: Type.Boolean({
        default: true,
        description: 'Whether this instance runs scheduled jobs (true/false, yes/no, on/off, 1/0).'
      }),
      JOB_LOCK_TIMEOUT_MS: integer(30_000, 500, 3_600_000, {
        unit: 'ms',
        description: "A silent (frozen) instance's job lock is dropped after this."
      }),
      MONITOR_CRON: schedule('* * * * *', 'Health monitor: component health from recent events.'),
      DETECT_CRON: schedule('* * * * *', 'Anomaly detection run.'),
      PREDICT_CRON: schedule('*/5 * * * *', 'Forecast of resources running out: predictive alerts.'),
      HEAL_CRON: schedule('* * * * *', 'Healing tick: plan, execute and verify recovery actions.'),
      SELFTEST_CRON: schedule('*/15 * * * *', 'Self-tests without a schedule of their own.'),
      MAINTENANCE_CRON: schedule(
        '17 * * * *',
        'Partitions ahead, rollups, expired idempotency keys and old self-test results.'
      )
    }
  },
  {
    title: 'Self-tests',
    description: "The self-test runner's schedules, baselines and retention.",
    variables: {
      SELFTEST_SCHEDULES: optionalText({
        list: 'test_name=cron expression or "off", entries separated by ";"',
        description: 'Per-test schedules (each its own job) or "off".',
        examples: ['rls_isolation=*/5 * * * *;llm_reachability=off']
      }),
      SELFTEST_BASELINES: optionalText({
        list: 'test_name=result UUID, entries separated by ";"',
        description: "A result pinned as a test's baseline, instead of the median of recent successful runs.",
        examples: ['database_connectivity=3f0c6a52-1b7e-4c55-9a5e-1d2c3b4a5f60']
      }),
      SELFTEST_BASELINE_RUNS: integer(10, 1, 100, {
        description: 'Successful runs the median baseline is taken over.'
      }),
      SELFTEST_REGRESSION_PERCENT: integer(50, 1, 1000, {
        unit: '%',
        description: 'Slower than the baseline by more than this is a regression...'
      }),
      SELFTEST_REGRESSION_MIN_MS: integer(100, 0, 600_000, {
        unit: 'ms',
        description: '...when also at least this much slower: a 2 ms probe taking 4 ms is noise.'
      }),
      SELFTEST_REGRESSION_RUNS: integer(2, 1, 100, {
        description: 'Consecutive regressed runs (this one included) before a selftest_regression signal opens.'
      }),
      SELFTEST_RETENTION_DAYS: integer(30, 1, 3650, {
        unit: 'days',
        description: 'Results older than this are deleted by the maintenance job.'
      }),
      SELFTEST_ENVIRONMENT: text('production', { description: "Recorded as each result's target_environment." })
    }
  },
  {
    title: 'Anomaly detection',
    description:
      "The detector's windows and the seed's thresholds; the detect route and the detect job both run with these (docs/detection.md).",
    variables: {
      DETECT_WINDOW_MINUTES: integer(15, 1, 1440, {
        unit: 'minutes',
        description: "The evaluation window; a request's window_minutes overrides it."
      }),
      DETECT_LOOKBACK_HOURS: integer(24, 1, 168, {
        unit: 'hours',
        description: 'History the baselines come from (48 or more for daily seasonality).'
      }),
      DETECT_WARMUP_POINTS: integer(30, 3, 10_000, {
        description: 'Fewer history points than this: absolute limits only (warm-up).'
      }),
      DETECT_RECOVERY_MINUTES: integer(15, 1, 7 * 1440, {
        unit: 'minutes',
        description: 'Normal this long: the signal resolves itself.'
      }),
      DETECT_FLAP_RESOLUTIONS: integer(2, 1, 100, {
        description:
          'Auto-resolutions within DETECT_FLAP_WINDOW_MINUTES, or returns of one reopened signal (DETECT_REOPEN_MINUTES), that make the next opening or return flapping.'
      }),
      DETECT_FLAP_WINDOW_MINUTES: integer(120, 1, 7 * 1440, {
        unit: 'minutes',
        description: 'The window flapping is counted over.'
      }),
      DETECT_FLAP_HOLD_MINUTES: integer(60, 1, 7 * 1440, {
        unit: 'minutes',
        description: 'A flapping signal is held open until quiet this long.'
      }),
      DETECT_REOPEN_MINUTES: integer(120, 0, 7 * 1440, {
        unit: 'minutes',
        description:
          "A breach this soon after the detector auto-resolved a component's signal reopens that signal instead of opening a new one: the incident came back, it did not start again. 0: always a new signal."
      }),
      DETECT_ADAPTIVE_HISTORY_POINTS: integer(10_000, 10, 100_000, {
        description:
          "Most events fed to one metric's stored adaptive scorer state in a run: a new metric, or one further behind, starts afresh from its newest this many."
      }),
      DETECT_RUN_BUDGET_MS: integer(2500, 100, 60_000, {
        unit: 'ms',
        description:
          "A run's LLM analyses must end by then; later ones keep the rule-based analysis. The seed's target is 3 s for the whole run; half a second is left for the writes after the LLM."
      }),
      DETECT_CATCHUP_STEP_MINUTES: integer(5, 1, 60, {
        unit: 'minutes',
        description:
          'Events that arrive after their evaluation window has passed (a flushed buffer, a backfill) are judged by the detect job afterwards, step by step from the earliest of them to now, at this step of event time (docs/event-time.md).'
      }),
      DETECT_CATCHUP_BUDGET_MS: integer(20_000, 0, 600_000, {
        unit: 'ms',
        description:
          "The detect job's time for catching up per run; what is left waits for the next run, and the live run leaves those components until then. 0: late events are history only."
      }),
      DETECT_RULE_CONFIRM_SCORE: decimal(0.999, 0, 1, {
        description:
          "A relative rule (DETECT_*_BASELINE_FACTOR) alone opens a signal only where the metric's adaptive score reaches this, once its scorer has seen 150 points: twice the baseline is ordinary for a bursty metric. 0: the rule alone, as the seed has it. The absolute limits never need it."
      }),
      DETECT_LATENCY_BASELINE_FACTOR: decimal(2, 1, 100, {
        description: 'Latency above this multiple of its baseline...'
      }),
      DETECT_LATENCY_LIMIT_MS: decimal(2000, 1, 3_600_000, {
        unit: 'ms',
        description: '...or above this is a latency_spike.'
      }),
      DETECT_ERROR_RATE_BASELINE_FACTOR: decimal(2, 1, 100, {
        description: 'Error rate above this multiple of its baseline...'
      }),
      DETECT_ERROR_RATE_LIMIT_PERCENT: decimal(5, 0.1, 100, {
        unit: '%',
        description: '...or above this is an error_rate_increase.'
      }),
      DETECT_CPU_LIMIT_PERCENT: decimal(80, 0.1, 100, {
        unit: '%',
        description: 'CPU above this is resource_exhaustion.'
      }),
      DETECT_MEMORY_LIMIT_PERCENT: decimal(85, 0.1, 100, {
        unit: '%',
        description: 'Memory above this is resource_exhaustion.'
      }),
      DETECT_DISK_LIMIT_PERCENT: decimal(90, 0.1, 100, {
        unit: '%',
        description: 'Disk above this is resource_exhaustion.'
      }),
      DETECT_THROUGHPUT_DROP_FACTOR: decimal(2, 1, 100, {
        description:
          'Throughput (throughput_per_minute) below its baseline divided by this is a traffic_drop: 2, below half. Traffic has no absolute limit.'
      }),
      DETECT_THROUGHPUT_SURGE_FACTOR: decimal(2, 1, 100, {
        description:
          'Throughput (throughput_per_minute) above this multiple of its baseline, confirmed by its adaptive score like every relative rule, is a traffic_surge.'
      })
    }
  },
  {
    title: 'Predictive alerts',
    description:
      'The forecast of resources running out (docs/prediction.md): a robust trend per organization, component and metric, an alert within the horizon, a signal within the signal horizon.',
    variables: {
      PREDICT_WINDOW_MINUTES: integer(360, 10, 7 * 1440, {
        unit: 'minutes',
        description: 'The recent history the trend is fitted to (at most 120 points, medians of equal slices of it).'
      }),
      PREDICT_MIN_POINTS: integer(12, 3, 120, {
        description:
          'Slices with a value needed for a forecast; fewer: no forecast (and an open alert past its time expires).'
      }),
      PREDICT_HORIZON_HOURS: integer(24, 1, 720, {
        unit: 'hours',
        description: 'Exhaustion forecast within this opens an alert; beyond twice this an open alert resolves.'
      }),
      PREDICT_SIGNAL_HORIZON_MINUTES: integer(120, 1, 43_200, {
        unit: 'minutes',
        description: 'Exhaustion forecast within this also opens a predicted_exhaustion signal, so healing decides.'
      }),
      PREDICT_MIN_CONFIDENCE: decimal(0.99, 0.5, 0.999999, {
        description:
          'Mann-Kendall confidence that the metric rises needed to open an alert; an open one resolves when it falls below 0.5.'
      }),
      PREDICT_MEMORY_LIMIT_PERCENT: decimal(95, 1, 100, {
        unit: '%',
        description: 'Memory runs out here.'
      }),
      PREDICT_DISK_LIMIT_PERCENT: decimal(95, 1, 100, {
        unit: '%',
        description: 'Disk runs out here.'
      }),
      PREDICT_CONNECTION_LIMIT: integer(100, 1, 1_000_000, {
        description: "Database connections run out here (PostgreSQL's default max_connections)."
      }),
      PREDICT_ERROR_RATE_LIMIT_PERCENT: decimal(5, 0.1, 100, {
        unit: '%',
        description: 'The error rate the SLO allows: reaching it spends the error budget.'
      })
    }
  },
  {
    title: 'Event time',
    description:
      "How far a health event's measurement_window_end (its event time) may lie from its arrival; outside, the event is refused with 400 (docs/event-time.md).",
    variables: {
      EVENT_MAX_LATENESS_MINUTES: integer(7 * 1440, 1, 7 * 1440, {
        unit: 'minutes',
        description:
          "Oldest accepted, before arrival: late and backfilled events within it count as if on time. 7 days, DETECT_LOOKBACK_HOURS' upper limit and the rollups' retention, so a backfill can warm any baseline."
      }),
      EVENT_MAX_FUTURE_SKEW_SECONDS: integer(300, 0, 86_400, {
        unit: 's',
        description: "Furthest ahead accepted, after arrival: a writer's clock running fast."
      })
    }
  },
  {
    title: 'Self-healing',
    description: "The healing engine's policy and where escalations go (docs/healing.md).",
    variables: {
      HEAL_ACTION_MAP: optionalText({
        list: 'anomaly_type:severity=action_type, entries separated by ","',
        description: "Actions per anomaly type and severity, over the seed's table.",
        examples: ['latency_spike:critical=restart_function,error_rate_increase:high=circuit_breaker']
      }),
      HEAL_DEFAULT_ACTION: text('alert_escalation', {
        pattern: ACTION_TYPE_PATTERN,
        mustBe: 'an action type',
        description: 'The action for anomalies the map does not name.'
      }),
      HEAL_APPROVAL_TYPES: text('rollback_deployment,scale_down', {
        list: 'action types separated by ","',
        description:
          'Action types whose real runs always wait in pending_approval for an admin, whatever the request says.'
      }),
      HEAL_APPROVAL_TTL_SECONDS: integer(3600, 0, 7 * 86400, {
        unit: 's',
        description: 'An undecided approval expires after this.'
      }),
      HEAL_FOUR_EYES: Type.Boolean({
        default: true,
        description: 'The admin who requested an action cannot approve it; false for single-admin installs.'
      }),
      HEAL_COOLDOWN_SECONDS: integer(600, 0, 86400, {
        unit: 's',
        description: 'No second automatic action of a type on a component within this.'
      }),
      HEAL_MAX_ACTIONS_PER_HOUR: integer(6, 1, 10_000, { description: 'Automatic actions per component per hour.' }),
      HEAL_BUDGET_PER_MINUTE: integer(20, 1, 100_000, {
        description: 'Automatic actions per minute, all components together.'
      }),
      HEAL_VERIFY_DELAY_SECONDS: integer(120, 0, 86400, {
        unit: 's',
        description: 'How long after an action succeeds its effect is measured.'
      }),
      HEAL_MIN_IMPROVEMENT_PERCENT: integer(10, 0, 100, {
        unit: '%',
        description: "Mean improvement of the target's metrics that counts as verified."
      }),
      HEAL_LEASE_GRACE_SECONDS: integer(30, 0, 3600, {
        unit: 's',
        description: "A lease lasts the action's timeout plus this, so a live instance never loses it mid-attempt."
      }),
      HEAL_BATCH_SIZE: integer(20, 1, 1000, { description: 'Actions one instance claims at once.' }),
      HEAL_MAX_EVIDENCE_AGE_MINUTES: integer(60, 1, 7 * 1440, {
        unit: 'minutes',
        description:
          'Healing acts by itself on an open anomaly only while its latest evidence (last observed, else detected) is at most this old; an older one (backfilled or replayed history, a past the detector caught up on) waits for a person, who may still heal it by id.'
      }),
      ESCALATION_SLACK_WEBHOOK_URL: optionalUrl(['http:', 'https:'], {
        description: 'Slack incoming webhook escalations are posted to.',
        examples: ['https://hooks.slack.com/services/...']
      }),
      ESCALATION_WEBHOOK_URL: optionalUrl(['http:', 'https:'], {
        description: 'Generic webhook escalations are posted to.',
        examples: ['https://incidents.example.internal/core314']
      }),
      ESCALATION_WEBHOOK_SECRET: optionalText({
        secret: true,
        description:
          "Signs the generic webhook's requests like control requests (Standard Webhooks; a secret not in whsec_ form is the raw HMAC key)."
      }),
      HEAL_ALLOWED_TARGETS: optionalText({
        list: 'host names, addresses and CIDR ranges separated by ","',
        description:
          "Where control targets and organizations' notification channels may point besides public addresses: loopback, private, link-local, CGNAT, metadata and unspecified addresses are refused otherwise, in every spelling, at registration and at connection time (docs/control-targets.md).",
        examples: ['10.0.0.0/8,cache.internal']
      }),
      HEAL_ALLOW_SELF_RESET: Type.Boolean({
        default: false,
        description: "Lets reset_connection act on the service's own database and application names."
      }),
      DEPLOY_WINDOW_MINUTES: integer(10, 1, 1440, {
        unit: 'minutes',
        description:
          "How long the maintenance window a deploy marker (POST /v1/deployments) opens holds the component's signals."
      })
    }
  },
  {
    title: 'Integrations',
    description: "Alertmanager and OTLP ingest, and the organizations' notification channels (docs/integrations.md).",
    variables: {
      ALERTMANAGER_COMPONENT_LABELS: text('service,job,app,component', {
        pattern: '^\\s*[A-Za-z_][A-Za-z0-9_]*(\\s*,\\s*[A-Za-z_][A-Za-z0-9_]*)*\\s*$',
        mustBe: 'label names separated by ","',
        list: 'label names separated by ","',
        description: "Labels whose first present value names an alert's component."
      }),
      OTLP_MAX_BODY_BYTES: integer(8 * 1024 * 1024, 1024, 256 * 1024 * 1024, {
        unit: 'bytes',
        description: 'The largest OTLP export accepted, after decompression; larger ones get 413.'
      }),
      OTLP_MAX_IN_FLIGHT: integer(16, 1, 10_000, {
        description: 'OTLP exports stored at once by one process; past it 503 with Retry-After.'
      }),
      CHANNEL_DISPATCH_INTERVAL_MS: integer(1000, 50, 600_000, {
        unit: 'ms',
        description: 'How often the dispatcher looks for due channel notifications.'
      }),
      CHANNEL_MAX_ATTEMPTS: integer(20, 1, 1000, {
        description: 'Attempts before a notification is kept as failed, with its last error.'
      }),
      CHANNEL_RETRY_MAX_SECONDS: integer(600, 1, 86_400, {
        unit: 's',
        description:
          "The longest wait between attempts; the backoff doubles from 1 s up to it, or follows the channel's Retry-After."
      }),
      CHANNEL_TIMEOUT_SECONDS: integer(10, 1, 300, { unit: 's', description: "One delivery attempt's time limit." })
    }
  }
] as const

type Groups = typeof ENV_GROUPS
type Variables = Groups[number]['variables']
type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (arg: infer I) => void ? I : never

export const EnvSchema = Type.Object(
  Object.assign({}, ...ENV_GROUPS.map(group => group.variables)) as UnionToIntersection<Variables>,
  { additionalProperties: true }
)

export type Env = Static<typeof EnvSchema>

export type EnvName = keyof Env & string

/** What the validator and the document writers read of a variable's schema. */
export type VariableSchema = Annotations & {
  type: 'string' | 'integer' | 'number' | 'boolean'
  default?: string | number | boolean
  minimum?: number
  maximum?: number
  enum?: string[]
  format?: string
  protocols?: string[]
}

/** Each variable's schema by name. */
export const ENV_VARIABLES = EnvSchema.properties as unknown as Record<EnvName, VariableSchema>

/** The default of each variable that has one. */
export const ENV_DEFAULTS = Object.fromEntries(
  Object.entries(ENV_VARIABLES)
    .filter(([, schema]) => schema.default !== undefined)
    .map(([name, schema]) => [name, schema.default])
) as { [Name in EnvName as undefined extends Env[Name] ? never : Name]: Env[Name] }
