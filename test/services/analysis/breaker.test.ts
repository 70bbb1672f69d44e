// The breaker's states on an injected clock: closed until the threshold, open for the cooldown,
// then one probe at a time, and a server's Retry-After honoured.
import t from 'tap'
import { createCircuitBreaker } from '../../../src/services/analysis/breaker.js'

function clock() {
  let time = 0
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms
    }
  }
}

t.test('stays closed below the threshold and opens at it', async t => {
  const time = clock()
  const breaker = createCircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 }, time.now)
  breaker.recordFailure()
  breaker.recordFailure()
  t.equal(breaker.state(), 'closed')
  t.equal(breaker.tryAcquire(), true)
  breaker.recordFailure()
  t.equal(breaker.state(), 'open')
  t.equal(breaker.tryAcquire(), false)
})

t.test('a success resets the count of consecutive failures', async t => {
  const breaker = createCircuitBreaker({ failureThreshold: 2 }, clock().now)
  breaker.recordFailure()
  breaker.recordSuccess()
  breaker.recordFailure()
  t.equal(breaker.state(), 'closed')
})

t.test('after the cooldown lets exactly one probe through', async t => {
  const time = clock()
  const breaker = createCircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 }, time.now)
  breaker.recordFailure()
  time.advance(999)
  t.equal(breaker.tryAcquire(), false, 'still cooling down')
  time.advance(1)
  t.equal(breaker.state(), 'half_open')
  t.equal(breaker.tryAcquire(), true, 'the probe')
  t.equal(breaker.tryAcquire(), false, 'no second call while the probe is out')
})

t.test('a failed probe opens it for a fresh cooldown; a good one closes it', async t => {
  const time = clock()
  const breaker = createCircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 }, time.now)
  for (let i = 0; i < 3; i++) breaker.recordFailure()
  time.advance(1000)
  t.ok(breaker.tryAcquire())
  breaker.recordFailure()
  t.equal(breaker.state(), 'open')
  time.advance(999)
  t.notOk(breaker.tryAcquire())
  time.advance(1)
  t.ok(breaker.tryAcquire())
  breaker.recordSuccess()
  t.equal(breaker.state(), 'closed')
  t.ok(breaker.tryAcquire())
  t.ok(breaker.tryAcquire(), 'closed: no limit on calls')
})

t.test('defaults: three failures, sixty seconds', async t => {
  const time = clock()
  const breaker = createCircuitBreaker({}, time.now)
  for (let i = 0; i < 3; i++) breaker.recordFailure()
  t.equal(breaker.state(), 'open')
  time.advance(59_999)
  t.equal(breaker.state(), 'open')
  time.advance(1)
  t.equal(breaker.state(), 'half_open')
})

t.test('a Retry-After opens it at once, for as long as the server asked, within an hour', async t => {
  const time = clock()
  const breaker = createCircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 }, time.now)
  breaker.recordFailure(5000)
  t.equal(breaker.state(), 'open', 'one rate-limited reply is enough')
  time.advance(4999)
  t.notOk(breaker.tryAcquire())
  time.advance(1)
  t.ok(breaker.tryAcquire())
  breaker.recordSuccess()

  breaker.recordFailure(7 * 24 * 60 * 60 * 1000)
  time.advance(60 * 60 * 1000)
  t.equal(breaker.state(), 'half_open', 'a wild Retry-After is capped')
})
