// Escalations as a JSON POST to any receiver (an incident tool, a pager bridge), signed the
// same way as control webhooks when the channel has a secret, so one verifier serves both.
import { postJson, type PostOutcome } from '../healing/executors/post-json.js'
import { SIGNATURE_HEADER, signBody } from '../healing/executors/signature.js'
import type { EscalationMessage, WebhookChannel } from './types.js'

export async function sendWebhook (channel: WebhookChannel, message: EscalationMessage, signal: AbortSignal): Promise<PostOutcome> {
  const body = JSON.stringify({ event: 'escalation', ...message })
  const headers: Record<string, string> = { 'Idempotency-Key': message.escalation_id }
  if (channel.secret !== undefined && channel.secret !== '') headers[SIGNATURE_HEADER] = signBody(channel.secret, body)
  return await postJson(channel.url, body, headers, signal)
}
