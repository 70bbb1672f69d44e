// The forecaster on series whose answer is known: clean and noisy rises of several slopes reach
// the limit when the line says, inside the interval; a flat or falling series never runs out; a
// trend that turns loses its confidence; outliers barely move the robust line.
import t from 'tap'
import { forecastExhaustion } from '../../../src/lib/forecast/exhaustion.js'
import { normalCdf, theilSen } from '../../../src/lib/forecast/theil-sen.js'

const HOUR = 3_600_000
const Z_90 = 1.645

/** A deterministic pseudo-random stream (an LCG), so noise is the same every run. */
function noise(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    return state / 2 ** 32 - 0.5
  }
}

/** `n` points over 6 hours ending at `at`: value(hoursAgo) plus uniform noise of `amplitude`. */
function series(n: number, at: number, value: (hours: number) => number, amplitude = 0, seed = 1) {
  const next = noise(seed)
  const t: number[] = []
  const v: number[] = []
  for (let i = 0; i < n; i++) {
    const time = at - 6 * HOUR + (i * 6 * HOUR) / (n - 1)
    t.push(time)
    v.push(value((time - at) / HOUR) + amplitude * next())
  }
  return { t, v }
}

const at = Date.UTC(2026, 11, 6, 12)

t.test('a clean rise reaches the limit exactly when the line does', async t => {
  for (const perHour of [0.5, 2, 10]) {
    const points = series(120, at, hours => 50 + perHour * hours)
    const forecast = forecastExhaustion(points, { threshold: 95, at, zLevel: Z_90 })
    if (forecast === null) throw new Error('no forecast')
    t.ok(Math.abs(forecast.slope * HOUR - perHour) < 1e-9, `slope ${perHour}/h`)
    t.ok(Math.abs(forecast.level - 50) < 1e-9, 'level at `at`')
    t.ok(Math.abs(forecast.eta / HOUR - 45 / perHour) < 1e-6, `runs out in ${45 / perHour} h`)
    t.ok(forecast.confidence > 0.9999, 'a rise beyond doubt')
    t.equal(forecast.noise, 0)
  }
})

t.test('noisy rises: the estimate lands near the truth and inside its 90% interval', async t => {
  let inside = 0
  let runs = 0
  for (const perHour of [1, 3, 8]) {
    for (let seed = 1; seed <= 20; seed++) {
      const points = series(120, at, hours => 40 + perHour * hours, 6, seed)
      const forecast = forecastExhaustion(points, { threshold: 95, at, zLevel: Z_90 })
      if (forecast === null) throw new Error('no forecast')
      const truth = (55 / perHour) * HOUR
      runs++
      if (forecast.etaEarliest <= truth && truth <= forecast.etaLatest) inside++
      t.ok(Math.abs(forecast.eta - truth) / truth < 0.25, `${perHour}/h seed ${seed}: within 25% of the truth`)
      t.ok(forecast.etaEarliest <= forecast.eta && forecast.eta <= forecast.etaLatest, 'the estimate in its interval')
    }
  }
  t.ok(inside / runs >= 0.85, `the true crossing inside the interval in ${inside} of ${runs} runs`)
})

t.test('flat and falling series never run out, and their confidence of a rise is low', async t => {
  for (let seed = 1; seed <= 10; seed++) {
    const flat = forecastExhaustion(
      series(120, at, () => 60, 4, seed),
      { threshold: 95, at, zLevel: Z_90 }
    )
    t.ok(flat !== null && flat.confidence < 0.99, `flat noise (seed ${seed}) is no confident rise`)
    const falling = forecastExhaustion(
      series(120, at, hours => 60 - 2 * hours, 4, seed),
      {
        threshold: 95,
        at,
        zLevel: Z_90
      }
    )
    t.equal(falling?.eta, Infinity, 'falling: never')
    t.ok((falling?.confidence ?? 1) < 0.01, 'falling: a rise is implausible')
  }
})

t.test('a trend that turns: the whole window no longer says rise, its recent half says fall', async t => {
  const turned = series(120, at, hours => (hours < -3 ? 50 + 5 * (hours + 6) : 65 - 5 * (hours + 3)), 1)
  const forecast = forecastExhaustion(turned, { threshold: 95, at, zLevel: Z_90 })
  if (forecast === null) throw new Error('no forecast')
  t.ok(forecast.confidence < 0.6, `confidence of a rise ${forecast.confidence}: a coin flip`)
  const recent = forecastExhaustion(
    { t: turned.t.slice(60), v: turned.v.slice(60) },
    { threshold: 95, at, zLevel: Z_90 }
  )
  t.equal(recent?.eta, Infinity, 'the last three hours alone never run out')
})

t.test('already past the limit: it has run out now', async t => {
  const forecast = forecastExhaustion(
    series(30, at, hours => 97 + 0.1 * hours),
    { threshold: 95, at, zLevel: Z_90 }
  )
  t.equal(forecast?.eta, 0)
  t.equal(forecast?.etaEarliest, 0)
})

t.test('a few wild outliers barely move the robust line, where least squares would swing', async t => {
  const points = series(120, at, hours => 50 + 2 * hours)
  for (const i of [100, 105, 110, 115]) points.v[i] = 0
  const forecast = forecastExhaustion(points, { threshold: 95, at, zLevel: Z_90 })
  t.ok(forecast !== null && Math.abs(forecast.slope * HOUR - 2) < 0.1, `slope ${(forecast?.slope ?? 0) * HOUR}/h`)
})

t.test('too few points, or no two distinct times, give no trend', async t => {
  t.equal(theilSen({ t: [1, 2], v: [1, 2] }, Z_90), null)
  t.equal(theilSen({ t: [5, 5, 5], v: [1, 2, 3] }, Z_90), null)
})

t.test('Sen interval: tied integer counters keep a valid interval', async t => {
  const t0 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  const trend = theilSen({ t: t0, v: [10, 10, 11, 11, 12, 12, 13, 13, 14, 14] }, Z_90)
  if (trend === null) throw new Error('no trend')
  t.equal(trend.slope, 0.5)
  t.ok(trend.slopeLow <= trend.slope && trend.slope <= trend.slopeHigh)
  t.ok(trend.slopeLow > 0, 'a steady rise in steps is still a rise')
  t.ok(normalCdf(trend.z) > 0.999)
})

t.test('the normal distribution function', async t => {
  t.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7)
  t.ok(Math.abs(normalCdf(1.645) - 0.95) < 1e-3)
  t.ok(Math.abs(normalCdf(-2.326) - 0.01) < 1e-3)
})
