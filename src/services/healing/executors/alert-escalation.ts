// alert_escalation: hands the problem to people. Creates the escalation event (one per action,
// so a retry reuses it) and notifies every configured channel; the notifications are returned
// for notifications_sent. Done when the event exists and, if channels are configured, at least
// one of them took the message; when all of them failed it is retried.
import Type from 'typebox'
import { escalate, type Severity } from '../escalation.js'
import { parameterProblems } from './parameters.js'
import { failure, simulation } from './results.js'
import type { ExecutionRequest, ExecutionResult, Executor } from './types.js'

const configSchema = Type.Object(
  {
    severity: Type.Optional(Type.Enum(['low', 'medium', 'high', 'critical'], { description: 'Default high' })),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    message: Type.Optional(Type.String({ maxLength: 4000, description: 'What people should know' })),
    anomaly_id: Type.Optional(Type.String({ format: 'uuid', description: 'The anomaly being escalated' }))
  },
  { additionalProperties: false }
)

function validate(parameters: unknown): string[] {
  return parameterProblems(configSchema, parameters)
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback
}

async function execute(request: ExecutionRequest): Promise<ExecutionResult> {
  const problems = validate(request.parameters)
  if (problems.length > 0)
    return failure(
      'INVALID_PARAMETERS',
      `invalid parameters for alert_escalation: ${problems.join('; ')}`,
      false,
      { problems },
      request.dryRun
    )
  const channels = request.channels ?? []
  if (request.dryRun) {
    return simulation(
      `dry run: would open an escalation for ${request.componentName} and notify ${channels.length === 0 ? 'no channel (none configured)' : channels.map(c => c.name).join(', ')}`,
      { via: 'escalation' }
    )
  }
  if (request.db === undefined || request.log === undefined)
    return failure(
      'NO_DATABASE',
      "alert_escalation records and logs the escalation in the service's database and log, which this request did not provide",
      false
    )
  const anomalyId = typeof request.parameters.anomaly_id === 'string' ? request.parameters.anomaly_id : undefined
  const { escalation, notifications, queued } = await escalate(
    request.db,
    channels,
    {
      sourceType: 'recovery_action',
      sourceId: request.actionId,
      severity: text(request.parameters.severity, 'high') as Severity,
      title: text(request.parameters.title, `${request.componentName} needs attention`),
      summary: text(
        request.parameters.message,
        `Recovery action ${request.actionId} escalates ${request.componentName} to people.`
      ),
      reason: 'alert_escalation is the action chosen for it',
      componentName: request.componentName,
      actionId: request.actionId,
      organizationId: request.organizationId ?? null,
      ...(anomalyId === undefined ? {} : { anomalyId })
    },
    request.log,
    request.signal
  )
  const result = {
    via: 'escalation',
    escalation_id: escalation.id,
    notifications,
    organization_notifications_queued: queued
  }
  if (notifications.length > 0 && notifications.every(n => !n.ok)) {
    return failure(
      'NOTIFY_FAILED',
      `escalation ${escalation.id} recorded but no channel took the notification: ${notifications.map(n => `${n.channel}: ${n.error ?? 'failed'}`).join('; ')}`,
      true,
      result
    )
  }
  const told = notifications.filter(n => n.ok).map(n => n.channel)
  return {
    success: true,
    simulated: false,
    output: `escalation ${escalation.id} opened${told.length === 0 && queued === 0 ? '; no notification channel is configured' : ''}${told.length === 0 ? '' : `; notified ${told.join(', ')}`}${queued === 0 ? '' : `; ${queued} organization channel notification(s) queued`}`,
    result,
    retryable: false
  }
}

export const alertEscalation: Executor = {
  type: 'alert_escalation',
  description:
    'Opens an escalation event for people and notifies the configured Slack-compatible and generic webhook channels.',
  configSchema,
  risky: false,
  validate,
  execute
}
