// An LRU cache bounded by its number of entries that takes memory only as entries come.
// lru-cache sizes its storage for `max` entries when the cache is made: for 100,000 entries about
// 3 MB and 15 ms at every start of the app, for caches (addresses refused, OTLP streams) that
// mostly hold a handful. Bounded through maxSize, one unit per entry, it grows as it fills and
// evicts the least recently used entry at the same bound.
import { LRUCache } from 'lru-cache'

export function growingLru<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  entries: number
): LRUCache<K, V> {
  return new LRUCache<K, V>({ maxSize: entries, sizeCalculation: () => 1 })
}
