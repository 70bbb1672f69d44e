// Slack incoming webhooks, for the platform's escalation channel (ESCALATION_SLACK_WEBHOOK_URL)
// and the organizations' Slack channels alike: an escalation as `text` for the notification and
// for clients without blocks, with blocks for the readable version; an acknowledgement or a
// resolution as one line naming the signal. Slack answers 200 "ok" or an error word.
import type { TargetPolicy } from '../../lib/address-policy.js'
import type { EscalationMessage } from '../notify/types.js'
import { postJson, type PostOutcome } from '../outbound-http.js'
import type { Delivery } from './types.js'

// Slack's limits for header and section text.
const HEADER_CHARS = 150
const SECTION_CHARS = 3000

// mrkdwn treats these three as markup; everything else is literal.
function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`
}

export function slackPayload(message: EscalationMessage): { text: string; blocks: unknown[] } {
  const about = [
    message.component_name === undefined ? undefined : `component \`${escape(message.component_name)}\``,
    message.action_id === undefined ? undefined : `action ${message.action_id}`,
    message.anomaly_id === undefined ? undefined : `anomaly ${message.anomaly_id}`,
    `escalation ${message.escalation_id}`
  ].filter(part => part !== undefined)
  const body = [`*Severity:* ${message.severity}`, escape(message.summary)]
  if (message.reason !== undefined) body.push(`*Why it escalated:* ${escape(message.reason)}`)
  return {
    text: escape(`[${message.severity.toUpperCase()}] ${message.title}: ${message.summary}`),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(message.title, HEADER_CHARS) } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(body.join('\n'), SECTION_CHARS) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: about.join(' · ') }] }
    ]
  }
}

function lifecycleText(delivery: Delivery): string {
  const { message } = delivery
  const what = `${String(message.anomaly_type ?? 'signal').replaceAll('_', ' ')} on ${String(message.component_name ?? 'a component')}`
  const verb = delivery.event === 'resolve' ? 'Resolved' : 'Acknowledged'
  return escape(`[${verb.toUpperCase()}] ${what} (anomaly ${delivery.dedupKey})`)
}

/** What an organization's Slack channel is sent for one outbox delivery. */
export function slackBody(delivery: Delivery): unknown {
  if (delivery.event !== 'trigger') return { text: lifecycleText(delivery) }
  return slackPayload(delivery.message as unknown as EscalationMessage)
}

/** Without a policy (the operator's own ESCALATION_* channel) the host is not checked. */
export async function sendSlack(
  webhookUrl: string,
  body: unknown,
  signal: AbortSignal,
  policy?: TargetPolicy
): Promise<PostOutcome> {
  return await postJson(webhookUrl, JSON.stringify(body), {}, signal, policy)
}
