// Generic webhooks, for the platform's escalation webhook (ESCALATION_WEBHOOK_URL) and the
// organizations' webhook channels alike: JSON signed per the Standard Webhooks specification
// (webhook-id, webhook-timestamp, webhook-signature), the way control webhooks are, so one
// verifier from its published libraries serves all three. The id is the message's, the same on
// every attempt, so a receiver drops a repeat; the timestamp is the attempt's, so replays of old
// requests fail. A secret not in whsec_ form (an ESCALATION_WEBHOOK_SECRET) is the raw HMAC key,
// which a receiver gives its library as whsec_ + base64 of it.
import { standardSecret, webhookHeaders } from '../healing/executors/standard-webhooks.js'
import type { TargetPolicy } from '../../lib/address-policy.js'
import type { EscalationMessage } from '../notify/types.js'
import { postJson, type PostOutcome } from '../outbound-http.js'
import type { Delivery } from './types.js'

/** The platform webhook's body for an escalation. */
export function escalationBody(message: EscalationMessage): string {
  return JSON.stringify({ event: 'escalation', ...message })
}

/** An organization's webhook channel's body for one outbox delivery. */
export function webhookBody(delivery: Delivery): string {
  return JSON.stringify({ type: `escalation.${delivery.event}`, dedup_key: delivery.dedupKey, data: delivery.message })
}

export interface WebhookMessage {
  /** webhook-id: stable across attempts. */
  id: string
  /** Signs the body when given; unsigned without one. */
  secret?: string | undefined
  headers?: Record<string, string>
}

export async function sendWebhook(
  url: string,
  body: string,
  message: WebhookMessage,
  signal: AbortSignal,
  /** Without one (the operator's own ESCALATION_* channel) the host is not checked. */
  policy?: TargetPolicy
): Promise<PostOutcome> {
  const signed =
    message.secret !== undefined && message.secret !== ''
      ? webhookHeaders(standardSecret(message.secret), message.id, body)
      : {}
  return await postJson(url, body, { ...signed, ...message.headers }, signal, policy)
}
