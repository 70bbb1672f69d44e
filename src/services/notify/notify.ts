// Sends one escalation to every configured channel at once and records each outcome. A channel
// that fails (or is misconfigured) is recorded and never stops the others: people must hear
// about an escalation through whatever channel still works.
import { urlProblem, type PostOutcome } from '../outbound-http.js'
import { sendSlack, slackPayload } from '../channels/slack.js'
import { escalationBody, sendWebhook } from '../channels/webhook.js'
import type { EscalationMessage, NotificationChannel, NotificationRecord } from './types.js'

async function send(
  channel: NotificationChannel,
  message: EscalationMessage,
  signal: AbortSignal
): Promise<PostOutcome> {
  const problem = urlProblem(channel.url)
  if (problem !== undefined) return { ok: false, error: `url ${problem}`, retryable: false }
  switch (channel.kind) {
    case 'slack':
      return await sendSlack(channel.url, slackPayload(message), signal)
    case 'webhook':
      return await sendWebhook(
        channel.url,
        escalationBody(message),
        { id: message.escalation_id, secret: channel.secret, headers: { 'Idempotency-Key': message.escalation_id } },
        signal
      )
    default:
      return {
        ok: false,
        error: `unknown channel kind ${String((channel as { kind: unknown }).kind)}`,
        retryable: false
      }
  }
}

async function record(
  channel: NotificationChannel,
  message: EscalationMessage,
  signal: AbortSignal
): Promise<NotificationRecord> {
  const sentAt = new Date().toISOString()
  const entry: NotificationRecord = { channel: channel.name, kind: channel.kind, ok: false, sent_at: sentAt }
  try {
    const outcome = await send(channel, message, signal)
    entry.ok = outcome.ok
    if (outcome.status !== undefined) entry.status = outcome.status
    if (!outcome.ok) entry.error = outcome.error ?? 'failed'
  } catch (error) {
    entry.error = error instanceof Error ? error.message : String(error)
  }
  return entry
}

export async function notify(
  channels: NotificationChannel[],
  message: EscalationMessage,
  signal: AbortSignal
): Promise<NotificationRecord[]> {
  return await Promise.all(channels.map(async channel => await record(channel, message, signal)))
}
