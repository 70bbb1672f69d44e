// An organization's Slack incoming webhook: escalations as the platform's Slack messages are,
// acknowledgements and resolutions as one line naming the signal.
import { postJson, type PostOutcome } from '../outbound-http.js'
import { slackPayload } from '../notify/slack.js'
import type { EscalationMessage } from '../notify/types.js'
import type { Delivery } from './types.js'

function lifecycleText(delivery: Delivery): string {
  const { message } = delivery
  const what = `${String(message.anomaly_type ?? 'signal').replaceAll('_', ' ')} on ${String(message.component_name ?? 'a component')}`
  const verb = delivery.event === 'resolve' ? 'Resolved' : 'Acknowledged'
  return `[${verb.toUpperCase()}] ${what} (anomaly ${delivery.dedupKey})`
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
}

export function slackBody(delivery: Delivery): unknown {
  if (delivery.event !== 'trigger') return { text: lifecycleText(delivery) }
  return slackPayload(delivery.message as unknown as EscalationMessage)
}

export async function sendSlackChannel(delivery: Delivery, signal: AbortSignal): Promise<PostOutcome> {
  return await postJson(delivery.secrets.webhook_url ?? '', JSON.stringify(slackBody(delivery)), {}, signal)
}
