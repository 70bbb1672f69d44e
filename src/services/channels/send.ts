// One delivery to one channel, whatever its kind; an unusable URL is a failure no retry fixes.
import { urlProblem, type PostOutcome } from '../outbound-http.js'
import { PAGERDUTY_EVENTS_URL, sendPagerDuty } from './pagerduty.js'
import { sendSlack, slackBody } from './slack.js'
import type { TargetPolicy } from '../../lib/address-policy.js'
import type { Delivery } from './types.js'
import { sendWebhook, webhookBody } from './webhook.js'

/** The URL a delivery goes to, which holds the credential for Slack. */
export function destinationOf(delivery: Pick<Delivery, 'kind' | 'url' | 'secrets'>): string {
  switch (delivery.kind) {
    case 'slack':
      return delivery.secrets.webhook_url ?? ''
    case 'pagerduty':
      return delivery.url ?? PAGERDUTY_EVENTS_URL
    default:
      return delivery.url ?? ''
  }
}

/** Sends one delivery; the policy is checked as the channel's host is connected, as a control target's is. */
export async function send(delivery: Delivery, signal: AbortSignal, policy: TargetPolicy): Promise<PostOutcome> {
  const problem = urlProblem(destinationOf(delivery))
  if (problem !== undefined) return { ok: false, error: `the channel URL ${problem}`, retryable: false }
  switch (delivery.kind) {
    case 'slack':
      return await sendSlack(delivery.secrets.webhook_url ?? '', slackBody(delivery), signal, policy)
    case 'pagerduty':
      return await sendPagerDuty(delivery, signal, policy)
    case 'webhook':
      return await sendWebhook(
        delivery.url ?? '',
        webhookBody(delivery),
        { id: `msg_${delivery.id}`, secret: delivery.secrets.secret },
        signal,
        policy
      )
  }
}
