// Secrets at rest: AES-256-GCM under a key derived from SECRETS_KEY, so a database dump or a
// read of the column yields nothing usable. This is the one module that encrypts or decrypts,
// in two stored forms:
// - "sealed:v1:<base64 of iv, tag, ciphertext>" for control targets' webhook secrets: it names
//   its format, so the database can refuse plain text in the column and a later format can sit
//   beside this one;
// - "v1.<nonce>.<tag>.<ciphertext>" in base64url for channel secrets, bound to the channel's id
//   as associated data, so a ciphertext copied onto another channel does not open.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const PREFIX = 'sealed:v1:'
const BOUND_VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

export type SecretsKey = Buffer

/** The AES key for a SECRETS_KEY: HKDF, so the configured text need not be exactly 32 random bytes. */
export function secretsKey(configured: string): SecretsKey {
  return Buffer.from(hkdfSync('sha256', configured, 'core314', 'stored-secrets-v1', 32))
}

interface Encrypted {
  iv: Buffer
  tag: Buffer
  ciphertext: Buffer
}

function encrypt(key: SecretsKey, plain: string, context?: string): Encrypted {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  if (context !== undefined) cipher.setAAD(Buffer.from(context))
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return { iv, tag: cipher.getAuthTag(), ciphertext }
}

function decrypt(key: SecretsKey, { iv, tag, ciphertext }: Encrypted, context?: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
  if (context !== undefined) decipher.setAAD(Buffer.from(context))
  decipher.setAuthTag(tag)
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX)
}

export function seal(plain: string, key: SecretsKey): string {
  const { iv, tag, ciphertext } = encrypt(key, plain)
  return PREFIX + Buffer.concat([iv, tag, ciphertext]).toString('base64')
}

/** The plain text of a sealed value; throws when it is not sealed or SECRETS_KEY is not the key that sealed it. */
export function unseal(sealed: string, key: SecretsKey): string {
  if (!isSealed(sealed)) throw new Error('the stored secret is not sealed')
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64')
  return decrypt(key, {
    iv: raw.subarray(0, IV_BYTES),
    tag: raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
    ciphertext: raw.subarray(IV_BYTES + TAG_BYTES)
  })
}

/** Seals `plain` so that it opens only with the same `context` (a channel's id). */
export function sealBound(plain: string, key: SecretsKey, context: string): string {
  const { iv, tag, ciphertext } = encrypt(key, plain, context)
  return [BOUND_VERSION, iv, tag, ciphertext]
    .map(part => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.')
}

/** Throws when the value was not sealed with this key and context (or was changed). */
export function unsealBound(stored: string, key: SecretsKey, context: string): string {
  const [version, iv, tag, ciphertext] = stored.split('.')
  if (version !== BOUND_VERSION || iv === undefined || tag === undefined || ciphertext === undefined)
    throw new Error('not a sealed secret')
  const part = (text: string): Buffer => Buffer.from(text, 'base64url')
  return decrypt(key, { iv: part(iv), tag: part(tag), ciphertext: part(ciphertext) }, context)
}
