// Control requests signed per the Standard Webhooks specification, with its reference library:
// webhook-id, webhook-timestamp and webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>",
// keyed with the base64 part of a "whsec_" secret. Receivers verify with any of its published
// libraries, and the signed timestamp lets them refuse a captured request replayed later.
import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'

const PREFIX = 'whsec_'
const MIN_BYTES = 24
const MAX_BYTES = 64

export function generateWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64')
}

/** Why a webhook secret is unusable, or undefined for a whsec_ secret of 24 to 64 bytes. */
export function webhookSecretProblem(secret: string): string | undefined {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : undefined
  if (encoded === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    return 'must be a Standard Webhooks secret: "whsec_" followed by base64'
  }
  const bytes = Buffer.from(encoded, 'base64').length
  return bytes >= MIN_BYTES && bytes <= MAX_BYTES
    ? undefined
    : `must decode to ${MIN_BYTES} to ${MAX_BYTES} bytes, got ${bytes}`
}

/**
 * A secret stored before signatures followed the specification, in its whsec_ form: the same
 * HMAC key bytes, so a receiver that held "s" now verifies with "whsec_" + base64("s").
 */
export function standardSecret(secret: string): string {
  return secret.startsWith(PREFIX) ? secret : PREFIX + Buffer.from(secret, 'utf8').toString('base64')
}

/** The three Standard Webhooks headers for one message. */
export function webhookHeaders(
  secret: string,
  messageId: string,
  body: string,
  at = new Date()
): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, body)
  }
}
