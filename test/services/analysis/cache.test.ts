// The analysis cache: entries live for their TTL, and the least recently used go first.
import t from 'tap'
import { createTtlCache } from '../../../src/services/analysis/cache.js'

function clock() {
  let time = 0
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms
    }
  }
}

t.test('returns a value until its TTL has passed', async t => {
  const time = clock()
  const cache = createTtlCache<string>({ ttlMs: 1000, maxEntries: 10 }, time.now)
  cache.set('a', 'one')
  time.advance(999)
  t.equal(cache.get('a'), 'one')
  time.advance(1)
  t.equal(cache.get('a'), undefined)
  t.equal(cache.get('missing'), undefined)
})

t.test('setting a key again replaces the value and restarts its TTL', async t => {
  const time = clock()
  const cache = createTtlCache<string>({ ttlMs: 1000, maxEntries: 10 }, time.now)
  cache.set('a', 'one')
  time.advance(500)
  cache.set('a', 'two')
  time.advance(900)
  t.equal(cache.get('a'), 'two')
})

t.test('holds at most maxEntries, evicting the least recently used', async t => {
  const cache = createTtlCache<number>({ ttlMs: 60_000, maxEntries: 2 }, clock().now)
  cache.set('a', 1)
  cache.set('b', 2)
  t.equal(cache.get('a'), 1, 'a is now the most recently used')
  cache.set('c', 3)
  t.equal(cache.get('b'), undefined, 'b was least recently used')
  t.equal(cache.get('a'), 1)
  t.equal(cache.get('c'), 3)
})
