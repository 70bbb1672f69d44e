// What escalation notifications are sent to and what is recorded about them. The records are
// stored in recovery_actions.notifications_sent, so they name channels, never their URLs (a
// Slack webhook URL is itself a credential).
export interface SlackChannel {
  kind: 'slack'
  /** The name listed in notification_channels. */
  name: string
  /** A Slack-compatible incoming webhook URL. */
  url: string
}

export interface WebhookChannel {
  kind: 'webhook'
  name: string
  url: string
  /** When set, the body is signed like a control webhook (Standard Webhooks). */
  secret?: string
}

export type NotificationChannel = SlackChannel | WebhookChannel

export interface EscalationMessage {
  /** The escalation event; sent as Idempotency-Key so a receiver can drop repeats. */
  escalation_id: string
  title: string
  severity: 'low' | 'medium' | 'high' | 'critical'
  summary: string
  component_name?: string
  action_id?: string
  anomaly_id?: string
  reason?: string
  /** Sent whole to generic webhooks; Slack shows only the fields above. */
  details?: Record<string, unknown>
}

export interface NotificationRecord {
  channel: string
  kind: string
  ok: boolean
  status?: number
  error?: string
  sent_at: string
}
