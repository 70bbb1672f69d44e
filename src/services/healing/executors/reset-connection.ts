// reset_connection: frees a component's database connection pool from idle and stuck
// connections. On a registered database it terminates them itself, limited to the component's
// application_name; otherwise the component's webhook is asked to reset its pool.
import Type from 'typebox'
import { defineExecutor } from './define-executor.js'
import { hasScheme, type Mechanism } from './mechanism.js'
import { SERVICE_APPLICATION_NAMES } from '../../../db/client.js'
import { redact } from '../../redaction.js'
import { isTargetRefused, TARGET_REFUSED } from '../../targets/resolve.js'
import { abortCode } from '../../../lib/abort.js'
import { failure } from './results.js'
import { SelfTarget, terminateStaleBackends, type TerminatedBackend } from './stale-backends.js'
import { webhookMechanism } from './webhook.js'

const DEFAULT_IDLE_SECONDS = 60
const DEFAULT_STUCK_SECONDS = 300

function limits(parameters: Record<string, unknown>): { idleSeconds: number; stuckSeconds: number } {
  return {
    idleSeconds: typeof parameters.idle_seconds === 'number' ? parameters.idle_seconds : DEFAULT_IDLE_SECONDS,
    stuckSeconds: typeof parameters.stuck_seconds === 'number' ? parameters.stuck_seconds : DEFAULT_STUCK_SECONDS
  }
}

// SQLSTATE classes worth another attempt: connection exception, insufficient resources (too
// many connections, the usual reason for a reset) and operator intervention (shutdown).
const RETRYABLE_SQLSTATE_CLASSES = ['08', '53', '57']

// Network failures all read alike (no address, port or errno), so the engine is no port scanner.
function failureOf(error: unknown, signal: AbortSignal): { errorCode: string; retryable: boolean; reason: string } {
  if (signal.aborted) return { errorCode: abortCode(signal), retryable: true, reason: 'the time limit was reached' }
  if (error instanceof SelfTarget) return { errorCode: error.code, retryable: false, reason: error.message }
  if (isTargetRefused(error))
    return {
      errorCode: TARGET_REFUSED,
      retryable: false,
      reason: `the database was not contacted: ${(error as Error).message}`
    }
  if (error instanceof Error && error.name === 'PostgresError') {
    const code = (error as Error & { code: string }).code
    return {
      errorCode: 'DATABASE_ERROR',
      retryable: RETRYABLE_SQLSTATE_CLASSES.includes(code.slice(0, 2)),
      reason: redact(error.message)
    }
  }
  return { errorCode: 'NETWORK', retryable: true, reason: 'the database could not be reached' }
}

const databaseMechanism: Mechanism = {
  name: 'database',
  needs: ['database_url', 'application_name'],
  applies: target => target.database_url !== undefined && target.database_url !== '',
  refuse: (target, request) => {
    if (target.application_name === undefined || target.application_name.trim() === '') {
      return {
        errorCode: 'UNSAFE_TARGET',
        error: `component ${target.component_name} has a database_url but no application_name; without one every client of that database would be cut off`
      }
    }
    if (request.allowSelfReset !== true && SERVICE_APPLICATION_NAMES.includes(target.application_name)) {
      return {
        errorCode: 'SELF_TARGET',
        error: `application_name of ${target.component_name} is one of this service's own; resetting it would cut the service off (HEAL_ALLOW_SELF_RESET allows it)`
      }
    }
    if (!hasScheme(target.database_url, ['postgres:', 'postgresql:'])) {
      return {
        errorCode: 'INVALID_TARGET',
        error: `database_url of ${target.component_name} must be a postgres:// URL`
      }
    }
    return undefined
  },
  describe: (target, request) => {
    const { idleSeconds, stuckSeconds } = limits(request.parameters)
    return `terminate the connections of application "${target.application_name ?? ''}" idle for over ${idleSeconds} s or idle in transaction or active for over ${stuckSeconds} s`
  },
  perform: async (target, request) => {
    const applicationName = target.application_name ?? ''
    const result: Record<string, unknown> = { via: 'database', application_name: applicationName }
    let backends: TerminatedBackend[]
    try {
      const guard = {
        policy: request.policy,
        ...(request.allowSelfReset !== true && request.db !== undefined ? { self: request.db.sql } : {})
      }
      backends = await terminateStaleBackends(
        target.database_url ?? '',
        { applicationName, ...limits(request.parameters) },
        request.signal,
        guard
      )
    } catch (error) {
      const { errorCode, retryable, reason } = failureOf(error, request.signal)
      return failure(
        errorCode,
        `resetting the connections of ${request.componentName} failed: ${reason}`,
        retryable,
        result
      )
    }
    const terminated = backends.filter(backend => backend.terminated).map(backend => backend.pid)
    const lingering = backends.filter(backend => !backend.terminated).map(backend => backend.pid)
    let output = `terminated ${terminated.length} connections of "${applicationName}"`
    if (terminated.length > 0) output += ` (pids ${terminated.join(', ')})`
    // pg_terminate_backend gave up waiting: signalled, but not seen to exit, so not claimed as done.
    if (lingering.length > 0)
      output += `; ${lingering.length} had not exited within the wait (pids ${lingering.join(', ')})`
    return {
      success: true,
      simulated: false,
      output,
      result: { ...result, terminated_pids: terminated, lingering_pids: lingering, backends },
      retryable: false
    }
  }
}

export const resetConnection = defineExecutor({
  type: 'reset_connection',
  description:
    "Terminates the component's idle and stuck PostgreSQL connections (its application_name only, never others), or asks its signed control webhook to reset its pool.",
  configSchema: Type.Object(
    {
      idle_seconds: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 86400,
          default: DEFAULT_IDLE_SECONDS,
          description: 'Terminate connections idle for longer than this'
        })
      ),
      stuck_seconds: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 86400,
          default: DEFAULT_STUCK_SECONDS,
          description: 'Terminate connections idle in a transaction, or running one statement, for longer than this'
        })
      )
    },
    { additionalProperties: false }
  ),
  risky: false,
  mechanisms: [databaseMechanism, webhookMechanism]
})
