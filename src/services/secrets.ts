// Secrets at rest: AES-256-GCM under a key derived from SECRETS_KEY, so a database dump or a
// read of the column yields nothing usable. A sealed value names its format ("sealed:v1:") so
// the database can refuse plain text in the column and a later format can sit beside this one.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const PREFIX = 'sealed:v1:'
const IV_BYTES = 12
const TAG_BYTES = 16

export type SecretsKey = Buffer

/** The AES key for a SECRETS_KEY: HKDF, so the configured text need not be exactly 32 random bytes. */
export function secretsKey(configured: string): SecretsKey {
  return Buffer.from(hkdfSync('sha256', configured, 'core314', 'stored-secrets-v1', 32))
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX)
}

export function seal(plain: string, key: SecretsKey): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const encrypted = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), encrypted]).toString('base64')
}

/** The plain text of a sealed value; throws when it is not sealed or SECRETS_KEY is not the key that sealed it. */
export function unseal(sealed: string, key: SecretsKey): string {
  if (!isSealed(sealed)) throw new Error('the stored secret is not sealed')
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64')
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES))
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')
}
