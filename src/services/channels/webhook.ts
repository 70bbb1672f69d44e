// The generic channel: JSON to the organization's own receiver, signed per the Standard
// Webhooks specification (webhook-id, webhook-timestamp, webhook-signature), so receivers verify
// with its published libraries. The id is the notification's, the same on every attempt, so a
// receiver drops a repeat; the timestamp is the attempt's, so replays of old requests fail.
import { Webhook } from 'standardwebhooks'
import { postJson, type PostOutcome } from '../outbound-http.js'
import type { Delivery } from './types.js'

export function webhookBody(delivery: Delivery): string {
  return JSON.stringify({ type: `escalation.${delivery.event}`, dedup_key: delivery.dedupKey, data: delivery.message })
}

export async function sendWebhookChannel(delivery: Delivery, signal: AbortSignal): Promise<PostOutcome> {
  const body = webhookBody(delivery)
  const now = new Date()
  const id = `msg_${delivery.id}`
  const headers = {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(delivery.secrets.secret ?? '').sign(id, now, body)
  }
  return await postJson(delivery.url ?? '', body, headers, signal)
}
