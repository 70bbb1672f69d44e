// Signed delivery of an action to a component's control endpoint, as docs/healing.md describes: the
// Idempotency-Key is the action id on every attempt so the receiver can drop repeats, and the
// signature covers the exact bytes sent. The secret never appears in a result.
import type { Mechanism } from './mechanism.js'
import { postJson, urlProblem } from './post-json.js'
import { failure } from './results.js'
import { SIGNATURE_HEADER, signBody } from './signature.js'
import type { ComponentTarget, ExecutionRequest, ExecutionResult } from './types.js'

function host (url: string): string {
  return new URL(url).host
}

export async function deliverWebhook (target: ComponentTarget, request: ExecutionRequest): Promise<ExecutionResult> {
  const url = target.webhook_url ?? ''
  const body = JSON.stringify({
    action_id: request.actionId,
    action_type: request.actionType,
    organization_id: request.organizationId,
    component_name: request.componentName,
    parameters: request.parameters,
    dry_run: false
  })
  const outcome = await postJson(url, body, {
    [SIGNATURE_HEADER]: signBody(target.webhook_secret ?? '', body),
    'Idempotency-Key': request.actionId,
    'X-Core314-Attempt': String(request.attempt)
  }, request.signal)
  const result: Record<string, unknown> = { via: 'webhook', host: host(url), attempt: request.attempt }
  if (outcome.status !== undefined) result.status = outcome.status
  if (outcome.responseBody !== undefined) result.response_body = outcome.responseBody
  if (outcome.retryAfter !== undefined) result.retry_after = outcome.retryAfter
  if (!outcome.ok) {
    return failure(outcome.errorCode ?? 'NETWORK', `control endpoint of ${request.componentName} ${outcome.error ?? 'failed'}`, outcome.retryable, result)
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
  applies: (target) => target.webhook_url !== undefined && target.webhook_url !== '',
  refuse: (target) => {
    const problem = urlProblem(target.webhook_url ?? '')
    if (problem !== undefined) return { errorCode: 'INVALID_TARGET', error: `webhook_url of ${target.component_name} ${problem}` }
    // An unsigned control request could be forged by anyone who can reach the endpoint.
    if (target.webhook_secret === undefined || target.webhook_secret === '') {
      return { errorCode: 'INVALID_TARGET', error: `component ${target.component_name} has a webhook_url but no webhook_secret; control requests are always signed` }
    }
    return undefined
  },
  describe: (target, request) => `POST ${request.actionType} with parameters ${JSON.stringify(request.parameters)} to the control endpoint of ${request.componentName} at ${host(target.webhook_url ?? '')}, signed, Idempotency-Key ${request.actionId}`,
  perform: deliverWebhook
}
