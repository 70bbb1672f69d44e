// Runbooks as code: the document an organization stores (published at GET /v1/runbooks/schema),
// the stored versions, and the runs the engine makes of them with their steps.
import { Type, type Static } from 'typebox'
import { severity } from './anomalies.js'
import { cursorPage, jsonObject, name, nullable, text, timestamp, uuid } from './fields.js'

// The metrics the engine's own before-and-after verification reads (services/healing/measurement.ts), in their units.
export const VERIFY_METRICS = [
  'latency_p95_ms',
  'latency_ms',
  'error_rate',
  'availability_percentage',
  'cpu_usage_percent',
  'memory_usage_percent',
  'throughput_per_minute'
] as const
export const ON_FAILURE = ['next', 'stop', 'escalate', 'rollback'] as const
export const MATCHER_NAMES = ['component_name', 'component_type'] as const
export const RUNBOOK_NAME_MAX_LENGTH = 100
export const RUNBOOK_NAME_PATTERN = `^[a-z0-9][a-z0-9_.-]{0,${RUNBOOK_NAME_MAX_LENGTH - 1}}$`

const duration = (description: string, options: Record<string, unknown> = {}) =>
  Type.String({ pattern: '^[0-9]{1,5}(s|m|h)$', description, ...options })

export const RunbookMatcher = Type.Object(
  {
    name: Type.Enum(MATCHER_NAMES, { description: 'What of the anomaly is matched' }),
    value: name(200, { description: 'The value; `*` matches any run of characters (`checkout-*`)' })
  },
  { additionalProperties: false }
)

export const RunbookVerify = Type.Object(
  {
    metric: Type.Enum(VERIFY_METRICS, {
      description:
        'A health-event metric: latencies in ms, rates and usage in percent (0-100), throughput in requests per minute'
    }),
    below: Type.Optional(Type.Number({ description: 'Passes when the metric is below this' })),
    above: Type.Optional(Type.Number({ description: 'Passes when the metric is above this' })),
    within: duration('How long after the wait the condition may take to hold, e.g. `2m` (at most 1h)')
  },
  { additionalProperties: false, description: 'Exactly one of below and above' }
)

export const RunbookStep = Type.Object(
  {
    name: Type.Optional(name(100)),
    action: name(64, { description: 'An executor type (GET /v1/executors)' }),
    parameters: Type.Optional(jsonObject({ description: "The executor's parameters (its config schema)" })),
    timeout: Type.Optional(
      duration(
        "Each attempt's time limit (default 30s, at most 1h); an instance lost mid-attempt is taken over after it"
      )
    ),
    wait: Type.Optional(duration('Time after the action finished before the verification starts (default 0s)')),
    verify: Type.Optional(RunbookVerify),
    on_failure: Type.Optional(
      Type.Enum(ON_FAILURE, {
        description:
          'When the action fails or its verification does not pass: next step (default), stop, escalate to people, or roll back earlier steps and escalate'
      })
    )
  },
  { additionalProperties: false }
)

export const RunbookDocument = Type.Object(
  {
    name: Type.String({
      pattern: RUNBOOK_NAME_PATTERN,
      description: 'Lower case; a new document on a name is its next version'
    }),
    description: Type.Optional(text(2000)),
    trigger: Type.Object(
      {
        anomaly_types: Type.Array(name(100), { minItems: 1, maxItems: 20 }),
        severities: Type.Optional(Type.Array(severity(), { minItems: 1, maxItems: 4, description: 'Default: any' })),
        components: Type.Optional(
          Type.Array(RunbookMatcher, { maxItems: 20, description: 'All must match; none: any component' })
        )
      },
      { additionalProperties: false }
    ),
    steps: Type.Array(RunbookStep, { minItems: 1, maxItems: 20 })
  },
  {
    $id: 'RunbookDocument',
    additionalProperties: false,
    examples: [
      {
        name: 'checkout-latency',
        description: 'Slow checkout: clear the cache, then restart',
        trigger: {
          anomaly_types: ['latency_spike'],
          severities: ['high', 'critical'],
          components: [{ name: 'component_name', value: 'checkout-*' }]
        },
        steps: [
          {
            name: 'clear the cache',
            action: 'clear_cache',
            wait: '30s',
            verify: { metric: 'latency_p95_ms', below: 500, within: '2m' },
            on_failure: 'next'
          },
          {
            name: 'restart',
            action: 'restart_function',
            verify: { metric: 'latency_p95_ms', below: 500, within: '2m' },
            on_failure: 'escalate'
          }
        ]
      }
    ]
  }
)

export type RunbookDocumentValue = Static<typeof RunbookDocument>
export type RunbookStepValue = Static<typeof RunbookStep>
export type RunbookVerifyValue = Static<typeof RunbookVerify>

export const Runbook = Type.Object(
  {
    id: uuid(),
    organization_id: uuid(),
    name: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    enabled: Type.Boolean({ description: 'False once deleted; runs keep referring to it' }),
    document: Type.Unsafe<RunbookDocumentValue>({ $ref: 'RunbookDocument#' }),
    created_by: nullable(uuid()),
    created_at: timestamp(),
    disabled_at: nullable(timestamp())
  },
  { $id: 'Runbook' }
)

export const RunbookDryRunInput = Type.Object(
  {
    component_name: name(200),
    anomaly_type: Type.Optional(name(100, { description: 'Checked against the trigger when given' })),
    severity: Type.Optional(severity({ description: 'Checked against the trigger when given' }))
  },
  { $id: 'RunbookDryRunInput', additionalProperties: false }
)

const Verification = Type.Object({
  metric: Type.String(),
  condition: Type.String({ description: 'e.g. `below 500`' }),
  within_seconds: Type.Integer(),
  observed: nullable(Type.Number({ description: 'The newest event’s value' })),
  event_time: nullable(timestamp()),
  passed: Type.Boolean(),
  reason: Type.String()
})

export const RunbookDryRunStep = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  name: nullable(Type.String()),
  action: Type.String(),
  parameters: jsonObject(),
  held_by: nullable(Type.String({ description: 'The guard that would hold the step now' })),
  hold_reason: nullable(Type.String()),
  requires_approval: Type.Boolean(),
  simulation: nullable(Type.String({ description: "The executor's dry run against the registered target" })),
  wait_seconds: Type.Integer(),
  on_failure: Type.Enum(ON_FAILURE),
  verification: nullable(Verification)
})

export const RunbookDryRun = Type.Object(
  {
    runbook: Type.String(),
    version: Type.Integer(),
    component_name: Type.String(),
    trigger_matches: nullable(
      Type.Boolean({ description: 'Whether an anomaly of the given type and severity on it would start it' })
    ),
    mode: Type.String({ description: 'The healing mode (auto, dry_run, off)' }),
    steps: Type.Array(RunbookDryRunStep)
  },
  { $id: 'RunbookDryRun' }
)

export const RUN_STATUSES = [
  'running',
  'rolling_back',
  'succeeded',
  'failed',
  'stopped',
  'escalated',
  'rolled_back',
  'held',
  'dry_run'
] as const

export const RunbookRunStep = Type.Object({
  step_index: Type.Integer({ minimum: 0 }),
  name: nullable(Type.String()),
  action_type: Type.String(),
  status: Type.String({ description: 'acting, verifying, passed, failed, held or simulated' }),
  action_id: nullable(uuid({ description: 'The recovery action the step acted through' })),
  action_status: nullable(Type.String()),
  verify_from: nullable(timestamp()),
  verify_until: nullable(timestamp()),
  verification: nullable(jsonObject({ description: 'What the verification saw: metric, condition, observed, passed' })),
  started_at: timestamp(),
  finished_at: nullable(timestamp())
})

const runFields = {
  id: uuid(),
  organization_id: uuid(),
  runbook_id: uuid(),
  runbook_name: Type.String(),
  runbook_version: Type.Integer(),
  anomaly_id: nullable(uuid()),
  component_name: Type.String(),
  component_type: nullable(Type.String()),
  status: Type.Enum(RUN_STATUSES),
  current_step: Type.Integer({ minimum: 0 }),
  outcome: nullable(Type.String()),
  next_check_at: timestamp(),
  created_at: timestamp(),
  updated_at: timestamp(),
  finished_at: nullable(timestamp())
}

export const RunbookRun = Type.Object(runFields, { $id: 'RunbookRun' })
export const RunbookRunDetail = Type.Object(
  { ...runFields, steps: Type.Array(RunbookRunStep) },
  { $id: 'RunbookRunDetail' }
)

export const RunbookRunList = cursorPage(RunbookRun, 'RunbookRunList')

export type RunbookRow = Static<typeof Runbook>
export type RunbookRunRow = Static<typeof RunbookRun>
export type RunbookRunStepRow = Static<typeof RunbookRunStep>
