// PagerDuty Events API v2: one alert per signal, keyed by dedup_key, so the trigger, the
// acknowledgement and the resolution land on the same incident. PagerDuty answers 202 when it
// took the event, 400 for an event it will never take, 429 when the integration is throttled.
import { postJson, type PostOutcome } from '../outbound-http.js'
import type { TargetPolicy } from '../../lib/address-policy.js'
import type { Delivery } from './types.js'

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue'

const SEVERITY: Record<string, string> = { critical: 'critical', high: 'error', medium: 'warning', low: 'info' }
const SUMMARY_CHARS = 1024

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

export function pagerDutyEvent(delivery: Delivery): Record<string, unknown> {
  const base = { routing_key: delivery.secrets.routing_key, event_action: delivery.event, dedup_key: delivery.dedupKey }
  if (delivery.event !== 'trigger') return base
  const { message } = delivery
  const component = text(message.component_name)
  const summary = [text(message.title), text(message.summary)].filter(part => part !== undefined).join(': ')
  return {
    ...base,
    client: 'Core314 self-healing',
    payload: {
      summary: (summary === '' ? 'Core314 escalation' : summary).slice(0, SUMMARY_CHARS),
      severity: SEVERITY[String(message.severity)] ?? 'error',
      source: component ?? 'core314',
      ...(component === undefined ? {} : { component }),
      ...(text(message.anomaly_type) === undefined ? {} : { class: message.anomaly_type }),
      custom_details: {
        root_cause: message.root_cause ?? null,
        actions_taken: message.actions_taken ?? [],
        reason: message.reason ?? null,
        escalation_id: message.escalation_id ?? null,
        anomaly_id: message.anomaly_id ?? null,
        action_id: message.action_id ?? null,
        ...(typeof message.details === 'object' && message.details !== null ? { details: message.details } : {})
      }
    }
  }
}

export async function sendPagerDuty(
  delivery: Delivery,
  signal: AbortSignal,
  policy?: TargetPolicy
): Promise<PostOutcome> {
  return await postJson(
    delivery.url ?? PAGERDUTY_EVENTS_URL,
    JSON.stringify(pagerDutyEvent(delivery)),
    {},
    signal,
    policy
  )
}
