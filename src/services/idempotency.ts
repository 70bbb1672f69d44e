// Idempotent creation: a POST with an Idempotency-Key stores its first response in the same
// transaction as the rows it creates, so a retry (even one racing the first attempt) replays
// that response instead of creating again, and a reused key with another body is refused.
import { createHash } from 'node:crypto'
import type { Tx } from '../db/client.js'
import { claimKey, dropKey, findKey, storeResponse } from '../db/idempotency-keys.js'
import { errors } from '../errors.js'

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60

export interface Idempotency {
  key: string | undefined
  /** Of the request; only meaningful when a key was sent. */
  fingerprint: string
}

export interface Created<T> {
  status: number
  body: T
  replayed: boolean
}

/** A stable fingerprint of what was asked: the route and the body with keys in sorted order. */
export function fingerprint(route: string, body: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical)
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map(key => [key, canonical((value as Record<string, unknown>)[key])])
      )
    }
    return value
  }
  return createHash('sha256')
    .update(route)
    .update('\n')
    .update(JSON.stringify(canonical(body)))
    .digest('hex')
}

export async function createOnce<T>(
  tx: Tx,
  { key, fingerprint: requestFingerprint }: Idempotency,
  create: () => Promise<{ status: number; body: T }>
): Promise<Created<T>> {
  if (key === undefined) return { ...(await create()), replayed: false }
  if (!(await claimKey(tx, key, requestFingerprint))) {
    const stored = await findKey(tx, key, IDEMPOTENCY_TTL_SECONDS)
    if (stored !== undefined && !stored.expired) {
      if (stored.request_fingerprint !== requestFingerprint) {
        throw new errors.IdempotencyKeyReused(
          'this Idempotency-Key was already used with a different request; use a new key'
        )
      }
      return { status: stored.status_code, body: stored.response_body as T, replayed: true }
    }
    await dropKey(tx, key)
    await claimKey(tx, key, requestFingerprint)
  }
  const result = await create()
  await storeResponse(tx, key, result.status, result.body)
  return { ...result, replayed: false }
}
