// What a channel sender is given: one notification for one channel, its secrets opened.
import type { ChannelKind } from '../../db/notification-channels.js'
import type { OutboxEvent } from '../../db/notification-outbox.js'
import type { TargetPolicy } from '../../lib/address-policy.js'
import type { SecretsKey } from '../secrets.js'

/** What channels need from the configuration: the key their secrets are sealed with, and where they may point. */
export interface ChannelSettings {
  secretsKey: SecretsKey
  /** HEAL_ALLOWED_TARGETS over public addresses: a channel may reach no more than a control target. */
  policy: TargetPolicy
}

/** The secrets of each kind, sealed together at rest. */
export interface ChannelSecrets {
  /** slack: the incoming webhook URL (itself a credential). */
  webhook_url?: string
  /** webhook: the Standard Webhooks signing secret, whsec_<base64>. */
  secret?: string
  /** pagerduty: the Events API v2 integration (routing) key. */
  routing_key?: string
}

export interface Delivery {
  /** Stable across attempts: the receiver's deduplication id (webhook-id). */
  id: string
  kind: ChannelKind
  url: string | null
  secrets: ChannelSecrets
  event: OutboxEvent
  dedupKey: string
  /** A trigger: the escalation (title, severity, summary, component_name, root_cause, actions_taken...). A lifecycle change: the signal's status. */
  message: Record<string, unknown>
}
