// The baseline arithmetic the detector runs for every metric of every component: the median by
// selection (instead of sorting a copy) must agree with the textbook median on any input, and
// the baseline must come from the history alone, with its spread floor and its warm-up.
import t from 'tap'
import fc from 'fast-check'
import { median, robustBaseline } from '../../../src/services/detection/baselines.js'
import { DEFAULT_RULES } from '../../../src/services/detection/rules.js'
import { detectorSettings } from '../../../src/services/detection/settings.js'

function sortedMedian(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

t.test('the median by selection equals the median of the sorted values, and leaves its input alone', async t => {
  // Few distinct values force ties around the middle, where a selection goes wrong first.
  const values = fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), {
    minLength: 1,
    maxLength: 300
  })
  fc.assert(
    fc.property(values, input => {
      const copy = [...input]
      const typed = Float64Array.from(input)
      return (
        median(input) === sortedMedian(input) &&
        median(typed.subarray(0)) === sortedMedian(input) &&
        copy.every((value, i) => Object.is(value, input[i]))
      )
    }),
    { numRuns: 500 }
  )
  t.equal(median([5, 1, 3]), 3)
  t.equal(median([4, 1, 3, 2]), 2.5)
  t.ok(Number.isNaN(median([])))
})

t.test('the baseline rests on the history: median, MAD spread above its floor, nothing during warm-up', async t => {
  const settings = detectorSettings()
  const start = Date.UTC(2024, 0, 1)
  const points = (values: number[]) => ({
    t: Float64Array.from(values, (_, i) => start + i * 60_000),
    v: Float64Array.from(values)
  })
  const history = Array.from({ length: 40 }, (_, i) => 200 + (i % 5) * 10)
  const baseline = robustBaseline(points(history), start + 50 * 60_000, DEFAULT_RULES.latency_ms, settings)
  t.match(baseline, { value: 220, method: 'median', points: 40 })
  // MAD of |v - 220| over 0/10/20 offsets is 10; 1.4826 * 10 is above the 5 % floor (11).
  t.ok(Math.abs((baseline?.spread ?? 0) - 14.826) < 1e-9, `spread ${baseline?.spread}`)
  const flat = robustBaseline(points(history.map(() => 200)), start + 50 * 60_000, DEFAULT_RULES.latency_ms, settings)
  t.equal(flat?.spread, 10, 'a flat history gets the relative floor, 5 % of 200')
  t.equal(
    robustBaseline(points(history.slice(0, settings.minHistoryPoints - 1)), start, DEFAULT_RULES.latency_ms, settings),
    null
  )
})

t.test(
  "a metric far below its floor's scale gets a floor of a quarter of its baseline, if it has a relative rule",
  async t => {
    const settings = detectorSettings()
    const start = Date.UTC(2024, 0, 1)
    const flatAt = (value: number) => ({
      t: Float64Array.from({ length: 40 }, (_, i) => start + i * 60_000),
      v: new Float64Array(40).fill(value)
    })
    const at = start + 50 * 60_000
    t.equal(
      robustBaseline(flatAt(2), at, DEFAULT_RULES.latency_ms, settings)?.spread,
      0.5,
      'a 2 ms latency: 4 spreads are a doubling, not 20 ms'
    )
    t.equal(
      robustBaseline(flatAt(40), at, DEFAULT_RULES.latency_ms, settings)?.spread,
      5,
      'at 40 ms the 5 ms floor holds'
    )
    t.equal(robustBaseline(flatAt(0.2), at, DEFAULT_RULES.error_rate, settings)?.spread, 0.05, 'an error rate of 0.2%')
    t.equal(
      robustBaseline(flatAt(0), at, DEFAULT_RULES.latency_ms, settings)?.spread,
      5,
      'a zero baseline keeps the metric floor'
    )
    t.equal(
      robustBaseline(flatAt(1), at, DEFAULT_RULES.cpu_usage_percent, settings)?.spread,
      2,
      'CPU has no relative rule: its 2-point floor stands'
    )
  }
)
