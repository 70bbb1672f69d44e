// Escalations as Slack incoming-webhook messages: `text` for the notification and for clients
// without blocks, blocks for the readable version. Slack answers 200 "ok" or an error word.
import { postJson, type PostOutcome } from '../outbound-http.js'
import type { EscalationMessage, SlackChannel } from './types.js'

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

export async function sendSlack(
  channel: SlackChannel,
  message: EscalationMessage,
  signal: AbortSignal
): Promise<PostOutcome> {
  return await postJson(channel.url, JSON.stringify(slackPayload(message)), {}, signal)
}
