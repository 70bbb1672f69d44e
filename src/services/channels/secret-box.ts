// Channel secrets at rest: AES-256-GCM under SECRETS_KEY, a fresh 96-bit nonce per value, the
// channel's id as associated data so a ciphertext copied onto another channel does not open.
// Stored as "v1.<nonce>.<tag>.<ciphertext>" in base64url. This is the one place that encrypts
// or decrypts, so a shared secrets module can replace it without touching the channels.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const VERSION = 'v1'

export function seal(key: Buffer, context: string, plaintext: string): string {
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(Buffer.from(context))
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [
    VERSION,
    nonce.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    sealed.toString('base64url')
  ].join('.')
}

/** Throws when the value was not sealed with this key and context (or was changed). */
export function open(key: Buffer, context: string, stored: string): string {
  const [version, nonce, tag, sealed] = stored.split('.')
  if (version !== VERSION || nonce === undefined || tag === undefined || sealed === undefined)
    throw new Error('not a sealed secret')
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'))
  decipher.setAAD(Buffer.from(context))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8')
}
