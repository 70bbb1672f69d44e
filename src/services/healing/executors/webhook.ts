// Signed delivery of an action to a component's control endpoint, as docs/control-targets.md describes: Standard
// Webhooks headers whose webhook-id is the action id, and an Idempotency-Key that is the action
// id too, the same on every attempt, so a receiver drops repeats whichever header it keys on;
// X-Core314-Attempt tells attempts apart. The secret never appears in a result.
import type { Mechanism } from './mechanism.js'
import { postJson, urlProblem } from '../../outbound-http.js'
import { failure } from './results.js'
import { standardSecret, webhookHeaders } from './standard-webhooks.js'
import type { ComponentTarget, ExecutionRequest, ExecutionResult } from './types.js'

function host(url: string): string {
  return new URL(url).host
}

export async function deliverWebhook(target: ComponentTarget, request: ExecutionRequest): Promise<ExecutionResult> {
  const url = target.webhook_url ?? ''
  const body = JSON.stringify({
    action_id: request.actionId,
    action_type: request.actionType,
    organization_id: request.organizationId,
    component_name: request.componentName,
    parameters: request.parameters,
    dry_run: false
  })
  const outcome = await postJson(
    url,
    body,
    {
      ...webhookHeaders(standardSecret(target.webhook_secret ?? ''), request.actionId, body),
      'Idempotency-Key': request.actionId,
      'X-Core314-Attempt': String(request.attempt)
    },
    request.signal,
    request.policy
  )
  const result: Record<string, unknown> = { via: 'webhook', host: host(url), attempt: request.attempt }
  if (outcome.status !== undefined) result.status = outcome.status
  if (outcome.excerpt !== undefined) result.response_excerpt = outcome.excerpt
  if (outcome.retryAfter !== undefined) result.retry_after = outcome.retryAfter
  if (!outcome.ok) {
    return failure(
      outcome.errorCode ?? 'NETWORK',
      `control endpoint of ${request.componentName} ${outcome.error ?? 'failed'}`,
      outcome.retryable,
      result
    )
  }
  return {
    success: true,
    simulated: false,
    output: `${request.actionType} delivered to the control endpoint of ${request.componentName}, which answered HTTP ${outcome.status}`,
    result,
    retryable: false
  }
}

export const webhookMechanism: Mechanism = {
  name: 'webhook',
  needs: ['webhook_url', 'webhook_secret'],
  applies: target => target.webhook_url !== undefined && target.webhook_url !== '',
  refuse: target => {
    const problem = urlProblem(target.webhook_url ?? '')
    if (problem !== undefined)
      return { errorCode: 'INVALID_TARGET', error: `webhook_url of ${target.component_name} ${problem}` }
    // An unsigned control request could be forged by anyone who can reach the endpoint.
    if (target.webhook_secret === undefined || target.webhook_secret === '') {
      return {
        errorCode: 'INVALID_TARGET',
        error: `component ${target.component_name} has a webhook_url but no usable webhook_secret; control requests are always signed`
      }
    }
    return undefined
  },
  describe: (target, request) =>
    `POST ${request.actionType} with parameters ${JSON.stringify(request.parameters)} to the control endpoint of ${request.componentName} at ${host(target.webhook_url ?? '')}, signed (Standard Webhooks), webhook-id and Idempotency-Key ${request.actionId}`,
  perform: deliverWebhook
}
