// The growing cache keeps the bound it is given, evicting the least recently used entry, and
// honours a time to live given per entry (the refused addresses' windows).
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { growingLru } from '../../src/lib/growing-lru.js'

t.test('at the bound, the least recently used entry goes', async t => {
  const cache = growingLru<string, number>(3)
  for (const key of ['a', 'b', 'c']) cache.set(key, 1)
  cache.get('a')
  cache.set('d', 1)
  t.equal(cache.size, 3)
  t.same([...cache.keys()].sort(), ['a', 'c', 'd'])
  for (let i = 0; i < 1000; i++) cache.set(`k${i}`, i)
  t.equal(cache.size, 3, 'a thousand more entries leave three')
  t.same([...cache.keys()].sort(), ['k997', 'k998', 'k999'])
})

t.test('an entry set with a time to live is gone once it has passed', async t => {
  const cache = growingLru<string, number>(10)
  cache.set('short', 1, { ttl: 20 })
  cache.set('kept', 2)
  t.equal(cache.get('short'), 1)
  await sleep(40)
  t.equal(cache.get('short'), undefined)
  t.equal(cache.get('kept'), 2)
})
