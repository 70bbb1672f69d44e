// A small in-process cache with a time to live and a size bound, least recently used evicted
// first. The analyzer keeps LLM analyses in it so the same anomaly is not paid for twice in an
// hour; the bound keeps a storm of distinct anomalies from growing memory without limit.

export interface CacheOptions {
  ttlMs: number
  maxEntries: number
}

export interface TtlCache<V> {
  get: (key: string) => V | undefined
  set: (key: string, value: V) => void
}

export function createTtlCache<V>(options: CacheOptions, now: () => number = Date.now): TtlCache<V> {
  // A Map iterates in insertion order, so re-inserting on use keeps the least recent first.
  const entries = new Map<string, { value: V; expiresAt: number }>()
  return {
    get(key) {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      entries.delete(key)
      if (now() >= entry.expiresAt) return undefined
      entries.set(key, entry)
      return entry.value
    },
    set(key, value) {
      entries.delete(key)
      entries.set(key, { value, expiresAt: now() + options.ttlMs })
      for (const oldest of entries.keys()) {
        if (entries.size <= options.maxEntries) break
        entries.delete(oldest)
      }
    }
  }
}
