// The self-healing engine's API: the kill switch, a run on demand and its report, a rollback
// request and its result, and circuit breaker state.
import { Type, type Static } from 'typebox'
import { nullable, text, timestamp, uuid } from './fields.js'

export const HEALING_MODES = ['auto', 'dry_run', 'off'] as const

export const HealingMode = Type.Object(
  {
    mode: Type.Enum(HEALING_MODES, {
      description:
        'auto acts; dry_run records what it would do as simulated actions; off decides nothing automatically and escalates new anomalies to people'
    }),
    reason: nullable(Type.String()),
    updated_by: nullable(uuid()),
    updated_at: timestamp()
  },
  { $id: 'HealingMode' }
)

export const HealingModeInput = Type.Object(
  {
    mode: Type.Enum(HEALING_MODES),
    reason: Type.Optional(text(2000, { description: 'Why, kept with the mode and in the audit log' }))
  },
  {
    $id: 'HealingModeInput',
    additionalProperties: false,
    examples: [{ mode: 'off', reason: 'incident 4711: hands off while we investigate' }]
  }
)

export const SelfHealingRunInput = Type.Object(
  {
    anomaly_id: Type.Optional(
      uuid({
        description:
          "Only this anomaly, whatever its evidence's age; default all open anomalies without an automatic action whose latest evidence is at most HEAL_MAX_EVIDENCE_AGE_MINUTES old and whose component's late history is judged"
      })
    ),
    dry_run: Type.Optional(
      Type.Boolean({ default: false, description: 'Preview only: decide and simulate, store and send nothing' })
    )
  },
  { $id: 'SelfHealingRunInput', additionalProperties: false }
)

export const HealingDecision = Type.Object(
  {
    anomaly_id: uuid(),
    component_name: Type.String(),
    anomaly_type: Type.String(),
    severity: Type.String(),
    action_type: Type.String(),
    rule: Type.String({ description: 'The mapping entry (anomaly_type:severity) that chose the action, or default' }),
    held_by: nullable(
      Type.Enum(['mode_off', 'flapping', 'cooldown', 'component_cap', 'global_budget', 'silence'], {
        description:
          'The guard that held the action (it was escalated instead), or silence: a silence holds the signal, so nothing was stored or escalated'
      })
    ),
    silence_id: nullable(uuid({ description: 'With held_by silence: the silence' })),
    reason: Type.String(),
    requires_approval: Type.Boolean(),
    action_id: nullable(uuid()),
    execution_status: nullable(Type.String()),
    simulation: nullable(Type.String({ description: 'In a dry run: what the executor would do' }))
  },
  { $id: 'HealingDecision' }
)

export const HealingAttempt = Type.Object(
  {
    id: uuid(),
    action_type: Type.String(),
    status: Type.String({
      description: "The action's execution_status after the attempt (lease_lost if another instance took it over)"
    }),
    error_code: nullable(Type.String()),
    engine_ms: Type.Number({ description: "The engine's own time, without the executor's" }),
    executor_ms: Type.Number()
  },
  { $id: 'HealingAttempt' }
)

export const HealingSkip = Type.Object(
  {
    anomaly_id: uuid(),
    reason: Type.String({ description: 'Why nothing could be decided for it; it is tried again on the next run' })
  },
  { $id: 'HealingSkip' }
)

export const SelfHealingRunResult = Type.Object(
  {
    mode: Type.Enum(HEALING_MODES),
    dry_run: Type.Boolean(),
    decisions: Type.Array(Type.Unsafe<Static<typeof HealingDecision>>({ $ref: 'HealingDecision#' })),
    skipped: Type.Array(Type.Unsafe<Static<typeof HealingSkip>>({ $ref: 'HealingSkip#' }), {
      description: 'Open anomalies no action could be planned or stored for; the others were decided'
    }),
    attempts: Type.Array(Type.Unsafe<Static<typeof HealingAttempt>>({ $ref: 'HealingAttempt#' }))
  },
  { $id: 'SelfHealingRunResult' }
)

export const RollbackRequest = Type.Object(
  {
    reason: Type.Optional(text(2000, { description: 'Stored as rollback_reason' }))
  },
  { $id: 'RollbackRequest', additionalProperties: false }
)

export const RollbackResult = Type.Object(
  {
    action: Type.Unsafe<Record<string, unknown>>({
      $ref: 'RecoveryAction#',
      description:
        'The original action, with rollback_action_id and rollback_reason (rolled_back with rollback_completed_at once the rollback succeeded)'
    }),
    rollback_action: Type.Unsafe<Record<string, unknown>>({
      $ref: 'RecoveryAction#',
      description: 'The linked rollback action (the inverse type where one exists)'
    })
  },
  { $id: 'RollbackResult' }
)

export const CircuitBreaker = Type.Object(
  {
    component_name: Type.String(),
    organization_id: nullable(uuid()),
    state: Type.Enum(['closed', 'open', 'half_open']),
    opened_at: nullable(timestamp()),
    half_opened_at: nullable(timestamp()),
    closed_at: nullable(timestamp()),
    next_probe_at: nullable(timestamp({ description: 'While open: when it goes half open and a probe may pass' })),
    cooldown_seconds: Type.Number(),
    reason: nullable(Type.String()),
    last_action_id: nullable(uuid()),
    trip_count: Type.Integer(),
    created_at: timestamp(),
    updated_at: timestamp()
  },
  { $id: 'CircuitBreaker' }
)

export type HealingModeInputBody = Static<typeof HealingModeInput>
