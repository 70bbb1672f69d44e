// Deletes the keys under one prefix of a Redis, the only way clear_cache touches a cache. SCAN
// and UNLINK in batches keep a big keyspace from blocking the server (KEYS would, FLUSHDB would
// take every other tenant's keys with it), and every key is checked against the prefix again
// before it is deleted, so a glob character in the prefix cannot widen the match.
import type { Redis } from 'ioredis'
import type { TargetPolicy } from '../../../lib/address-policy.js'
import { checkedRedis } from '../../targets/redis-client.js'

export interface PrefixDeletion {
  deleted: number
  scanned: number
  /** Set when the signal fired or Redis failed part way; deletions Redis confirmed before stay counted. */
  error?: unknown
}

function globLiteral(prefix: string): string {
  return prefix.replace(/[*?[\]\\]/g, '\\$&')
}

/** Rejects with the signal's reason once it fires, for racing calls that cannot take a signal. */
function abortion(signal: AbortSignal): { aborted: Promise<never>; dispose: () => void } {
  let onAbort = (): void => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(signal.reason)
    }
  })
  aborted.catch(() => {})
  if (signal.aborted) onAbort()
  signal.addEventListener('abort', onAbort, { once: true })
  return {
    aborted,
    dispose: () => {
      signal.removeEventListener('abort', onAbort)
    }
  }
}

export async function unlinkByPrefix(
  url: string,
  prefix: string,
  batchSize: number,
  signal: AbortSignal,
  policy: TargetPolicy
): Promise<PrefixDeletion> {
  // ioredis takes no signal, and a closing socket can take seconds to report it: race every call.
  const { aborted, dispose } = abortion(signal)
  const wanted = Buffer.from(prefix)
  const progress: PrefixDeletion = { deleted: 0, scanned: 0 }
  let redis: Redis | undefined
  try {
    signal.throwIfAborted()
    redis = await Promise.race([
      checkedRedis(url, policy, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 5000
      }),
      aborted
    ])
    // Errors also reach the pending command's promise; without a listener ioredis prints them.
    redis.on('error', () => {})
    await Promise.race([redis.connect(), aborted])
    let cursor = '0'
    do {
      const [next, keys] = await Promise.race([
        redis.scanBuffer(cursor, 'MATCH', `${globLiteral(prefix)}*`, 'COUNT', batchSize),
        aborted
      ])
      cursor = next.toString()
      progress.scanned += keys.length
      const mine = keys.filter(key => key.subarray(0, wanted.length).equals(wanted))
      for (let start = 0; start < mine.length; start += batchSize) {
        progress.deleted += await Promise.race([redis.unlink(...mine.slice(start, start + batchSize)), aborted])
      }
    } while (cursor !== '0')
  } catch (error) {
    progress.error = error
  } finally {
    dispose()
    redis?.disconnect()
  }
  return progress
}
