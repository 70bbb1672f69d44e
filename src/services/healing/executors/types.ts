// The one contract between the healing engine and the things that act on components. The
// engine only knows this interface and the registry, so a new recovery action is a new module.
import type { FastifyBaseLogger } from 'fastify'
import type { TSchema } from 'typebox'
import type { Db } from '../../../db/port.js'
import type { NotificationChannel } from '../../notify/types.js'
import type { TargetPolicy } from '../../../lib/address-policy.js'

/** The control targets registered for a component through PUT /v1/components/{name}. */
export interface ComponentTarget {
  component_name: string
  component_type: string
  webhook_url?: string
  webhook_secret?: string
  redis_url?: string
  key_prefix?: string
  /** The PostgreSQL whose connections reset_connection may terminate... */
  database_url?: string
  /** ...and only those of this application_name. */
  application_name?: string
}

export interface ExecutionRequest {
  actionId: string
  actionType: string
  /** The component's organization (null: the platform's own): with the name, the component's key. */
  organizationId: string | null
  componentName: string
  parameters: Record<string, unknown>
  /** 1 for the first try; sent to control endpoints so they can tell retries apart. */
  attempt: number
  target: ComponentTarget | null
  dryRun: boolean
  /** Fires when the attempt's time is up (AbortSignal.timeout gives the error code TIMEOUT). */
  signal: AbortSignal
  /** Where the target's webhook, Redis and database may be reached (checked as they are connected). */
  policy: TargetPolicy
  /** Whether reset_connection may act on the service's own database (HEAL_ALLOW_SELF_RESET). */
  allowSelfReset?: boolean
  /** The service's own database, for executors that keep state there (circuit breakers, escalations). */
  db?: Db
  /** Where escalations are announced (the configured Slack and webhook channels). */
  channels?: NotificationChannel[]
  /** The engine's logger, for executors that report what they did (escalations); given with db. */
  log?: FastifyBaseLogger
}

export interface ExecutionResult {
  success: boolean
  /** True only for dry runs: nothing was done. */
  simulated: boolean
  output: string
  result: Record<string, unknown>
  errorCode?: string
  error?: string
  /** Whether another attempt could succeed; false when the action or its target must change first. */
  retryable: boolean
}

export interface Executor {
  type: string
  description: string
  /** The action_parameters this executor accepts. */
  configSchema: TSchema
  /** Needs approval unless configured otherwise. */
  risky: boolean
  /** The action type that undoes this one. */
  inverse?: string
  /** Problems with the parameters, each naming its field; empty when valid. */
  validate(parameters: unknown): string[]
  execute(request: ExecutionRequest): Promise<ExecutionResult>
  /** Undoes an execution in place, for executors whose undo is not another action type. */
  rollback?(request: ExecutionRequest): Promise<ExecutionResult>
}
