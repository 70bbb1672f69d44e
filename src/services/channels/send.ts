// One delivery to one channel, whatever its kind; an unusable URL is a failure no retry fixes.
import { urlProblem, type PostOutcome } from '../outbound-http.js'
import { PAGERDUTY_EVENTS_URL, sendPagerDuty } from './pagerduty.js'
import { sendSlack, slackBody } from './slack.js'
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

export async function send(delivery: Delivery, signal: AbortSignal): Promise<PostOutcome> {
  const problem = urlProblem(destinationOf(delivery))
  if (problem !== undefined) return { ok: false, error: `the channel URL ${problem}`, retryable: false }
  switch (delivery.kind) {
    case 'slack':
      return await sendSlack(delivery.secrets.webhook_url ?? '', slackBody(delivery), signal)
    case 'pagerduty':
      return await sendPagerDuty(delivery, signal)
    case 'webhook':
      return await sendWebhook(
        delivery.url ?? '',
        webhookBody(delivery),
        { id: `msg_${delivery.id}`, secret: delivery.secrets.secret },
        signal
      )
  }
}
