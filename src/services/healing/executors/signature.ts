// The signature receivers check before acting on a request from this service: an HMAC-SHA256
// of the exact body bytes, so a forged or altered request is refused.
import { createHmac } from 'node:crypto'

export const SIGNATURE_HEADER = 'X-Core314-Signature'

export function signBody (secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}
