// Escalations as a JSON POST to any receiver (an incident tool, a pager bridge), signed the
// same way as control webhooks (Standard Webhooks, webhook-id = the escalation id) when the
// channel has a secret, so one verifier serves both. A secret not in whsec_ form is used as the
// raw HMAC key, which a receiver gives its library as whsec_ + base64 of it.
import { postJson, type PostOutcome } from '../outbound-http.js'
import { standardSecret, webhookHeaders } from '../healing/executors/standard-webhooks.js'
import type { EscalationMessage, WebhookChannel } from './types.js'

export async function sendWebhook(
  channel: WebhookChannel,
  message: EscalationMessage,
  signal: AbortSignal
): Promise<PostOutcome> {
  const body = JSON.stringify({ event: 'escalation', ...message })
  const signed =
    channel.secret !== undefined && channel.secret !== ''
      ? webhookHeaders(standardSecret(channel.secret), message.escalation_id, body)
      : {}
  const headers: Record<string, string> = { ...signed, 'Idempotency-Key': message.escalation_id }
  return await postJson(channel.url, body, headers, signal)
}
