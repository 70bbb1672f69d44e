// The escalation channels, from configuration: a Slack-compatible incoming webhook and a
// generic (optionally signed) webhook. Their URLs are credentials, so they live in the
// environment and only their names are stored with actions and events.
import type { HealingConfig } from '../../config.js'
import type { NotificationChannel } from '../notify/types.js'

export function escalationChannels(config: HealingConfig): NotificationChannel[] {
  const channels: NotificationChannel[] = []
  if (config.escalationSlackWebhookUrl !== undefined)
    channels.push({ kind: 'slack', name: 'slack', url: config.escalationSlackWebhookUrl })
  if (config.escalationWebhookUrl !== undefined) {
    channels.push({
      kind: 'webhook',
      name: 'webhook',
      url: config.escalationWebhookUrl,
      ...(config.escalationWebhookSecret === undefined ? {} : { secret: config.escalationWebhookSecret })
    })
  }
  return channels
}
