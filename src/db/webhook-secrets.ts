// The webhook secrets still in plain text (written before they were sealed), and their
// replacement. Keyed by the value itself, so it holds whatever identifies a component.
import type { Tx } from './client.js'

export async function lockPlainWebhookSecrets(tx: Tx): Promise<string[]> {
  const rows = await tx<Array<{ webhook_secret: string }>>`
    select webhook_secret from components
    where webhook_secret is not null and webhook_secret not like 'sealed:v1:%'
    for update`
  return [...new Set(rows.map(row => row.webhook_secret))]
}

export async function replaceWebhookSecret(tx: Tx, plain: string, sealed: string): Promise<number> {
  const rows = await tx`update components set webhook_secret = ${sealed} where webhook_secret = ${plain}`
  return rows.count
}
