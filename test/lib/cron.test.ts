// One cron grammar for the configuration, the scheduler and the job-freshness self-test: what
// one accepts the others read the same way, including what node-cron (the scheduler's old
// library) read differently from cron-parser (the self-test's).
import t from 'tap'
import { cronProblem, nextTick, previousTick, startCronTimer } from '../../src/lib/cron.js'

t.test('previousTick reads the cron expression', async t => {
  t.same(previousTick('*/15 * * * *', new Date('2026-01-01T10:07:00Z')), new Date('2026-01-01T10:00:00Z'))
  t.same(
    previousTick('*/15 * * * *', new Date('2026-01-01T10:15:00Z')),
    new Date('2026-01-01T10:15:00Z'),
    'a tick at that very time counts'
  )
  t.same(previousTick('17 * * * *', new Date('2026-01-01T10:07:00Z')), new Date('2026-01-01T09:17:00Z'))
})

t.test('a day of month and a day of week both given mean either, for the ticks and the expected tick', async t => {
  // node-cron fired this only on a Monday that is the 1st or the 15th (next: 1 February 2027).
  const tuesday = new Date(2026, 11, 1, 12)
  t.same(nextTick('0 0 1,15 * 1', tuesday), new Date(2026, 11, 7), 'the next Monday')
  t.same(previousTick('0 0 1,15 * 1', new Date(2026, 11, 16, 9)), new Date(2026, 11, 15), 'the 15th, a Tuesday')
})

t.test('whatever the configuration accepts, each tick is the one the self-test expects', async t => {
  for (const expression of [
    '0 0 1,15 * 1',
    '0 0 L * *',
    '0 12 * * 5L',
    '0 0 ? * MON#1',
    '*/20 * * * * *',
    '1-10/3 * * * *'
  ]) {
    t.equal(cronProblem(expression), undefined, `${expression} is a schedule`)
    let previous = nextTick(expression, new Date(2026, 0, 1))
    for (let i = 0; i < 20; i++) {
      const next = nextTick(expression, previous)
      t.ok(next > previous)
      t.same(previousTick(expression, next), next, `${expression}: the tick itself is due at ${next.toISOString()}`)
      t.same(previousTick(expression, new Date(next.getTime() - 1)), previous, `${expression}: none between two ticks`)
      previous = next
    }
  }
})

t.test('what is not a 5- or 6-field schedule is refused with the reason', async t => {
  t.match(cronProblem(''), /fields/)
  t.match(cronProblem('* * * *'), /4 fields/, 'cron-parser alone reads four fields as every minute')
  t.match(cronProblem('* * * * * * *'), /7 fields/)
  t.match(cronProblem('60 * * * *'), /60/)
  t.match(cronProblem('0 0 31 2 *'), /day of month/)
  t.equal(cronProblem('@daily'), undefined)
})

t.test("the timer fires at the schedule's own times, once each, until stopped", async t => {
  const ticks: Date[] = []
  const timer = startCronTimer('* * * * * *', at => ticks.push(at))
  t.teardown(() => timer.stop())
  const deadline = Date.now() + 20_000
  while (ticks.length < 3 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
  timer.stop()
  const seen = ticks.length
  t.ok(seen >= 3, `ticked ${seen} times`)
  for (const [i, at] of ticks.entries()) {
    t.equal(at.getMilliseconds(), 0, 'a tick is the scheduled second')
    if (i > 0) t.ok(at > (ticks[i - 1] as Date), 'each tick once, in order')
  }
  await new Promise(resolve => setTimeout(resolve, 1500))
  t.equal(ticks.length, seen, 'no tick after stop')
})
