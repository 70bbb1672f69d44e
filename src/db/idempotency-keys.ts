// Queries on idempotency_keys. They run as the caller: the caller_key is derived from the
// claims in SQL, so each caller only ever sees and claims their own keys.
import type { Tx } from './client.js'

export interface StoredResponse {
  request_fingerprint: string
  status_code: number
  response_body: unknown
  expired: boolean
}

/** Claims the key; false when the caller already used it (waits for an in-flight first use). */
export async function claimKey(tx: Tx, key: string, fingerprint: string): Promise<boolean> {
  const rows = await tx`
    insert into idempotency_keys (caller_key, idempotency_key, request_fingerprint)
    values (core314.idempotency_caller_key(), ${key}, ${fingerprint})
    on conflict (caller_key, idempotency_key) do nothing
    returning 1`
  return rows.length === 1
}

export async function findKey(tx: Tx, key: string, ttlSeconds: number): Promise<StoredResponse | undefined> {
  const [row] = await tx<StoredResponse[]>`
    select request_fingerprint, status_code, response_body,
           created_at < now() - make_interval(secs => ${ttlSeconds}) as expired
    from idempotency_keys
    where caller_key = core314.idempotency_caller_key() and idempotency_key = ${key}`
  return row
}

export async function dropKey(tx: Tx, key: string): Promise<void> {
  await tx`delete from idempotency_keys where caller_key = core314.idempotency_caller_key() and idempotency_key = ${key}`
}

export async function storeResponse(tx: Tx, key: string, status: number, body: unknown): Promise<void> {
  await tx`
    update idempotency_keys set status_code = ${status}, response_body = ${tx.json(body as never)}
    where caller_key = core314.idempotency_caller_key() and idempotency_key = ${key}`
}

/** Removes expired keys; run by the owner connection, not as a caller. */
export async function purgeExpiredKeys(tx: Tx, ttlSeconds: number): Promise<number> {
  const rows =
    await tx`delete from idempotency_keys where created_at < now() - make_interval(secs => ${ttlSeconds}) returning 1`
  return rows.length
}
