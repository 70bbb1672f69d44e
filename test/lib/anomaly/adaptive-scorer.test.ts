import t from 'tap'
import {
  createScorerState,
  DEFAULT_PARAMS,
  scoreNext,
  scoreSeries,
  type ScorerState
} from '../../../src/lib/anomaly/adaptive-scorer.js'
import { erfc, normalTail, quantile } from '../../../src/lib/anomaly/robust-stats.js'

const FIVE_MINUTES = 300_000
const START = Date.UTC(2024, 0, 1)

// A seeded generator so every run sees the same "random" noise.
function noise(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    const u1 = (state + 1) / 4294967297
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    const u2 = (state + 1) / 4294967297
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
  }
}

function feed(state: ScorerState, values: number[], from = 0) {
  return values.map((value, i) => scoreNext(state, value, START + (from + i) * FIVE_MINUTES))
}

t.test('the numeric helpers match known values', async t => {
  t.ok(Math.abs(erfc(0.5) - 0.4795001221869535) < 1e-14)
  t.ok(Math.abs(erfc(3) - 2.209049699858544e-5) < 1e-18)
  t.ok(Math.abs(erfc(-1) - 1.8427007929497148) < 1e-14)
  t.equal(normalTail(0, 0, 1), 0.5)
  t.equal(quantile([1, 2, 3, 4], 0.5), 2.5)
})

t.test('warm-up gives no verdict, however odd the values', async t => {
  const state = createScorerState()
  const results = feed(
    state,
    Array.from({ length: DEFAULT_PARAMS.warmup }, (_, i) => (i % 7 === 0 ? 1e6 : 1))
  )
  t.ok(results.every(result => result.score === 0 && !result.warm))
  const after = feed(state, [1], DEFAULT_PARAMS.warmup)[0]
  t.equal(after?.warm, true)
})

// Plain noise keeps producing first meetings of two rare levels; without the chance test on those
// (see context-detector.ts) this series fires several times. CAD is off here: it is the context
// model's chance test under test.
t.test('a steady noisy series stays quiet and a spike then scores high', async t => {
  const next = noise(7)
  const steady = Array.from({ length: 2000 }, () => 100 + 5 * next())
  const state = createScorerState({ cadMaxContexts: 0 })
  const quiet = feed(state, steady)
  const highest = Math.max(...quiet.map(result => result.score))
  t.ok(highest < DEFAULT_PARAMS.detectionLevel, `steady series peaked at ${highest}`)
  const spike = feed(state, [100 + 5 * 12], steady.length)[0]
  t.ok((spike?.score ?? 0) >= DEFAULT_PARAMS.detectionLevel, `spike scored ${spike?.score}`)
  t.ok((spike?.z ?? 0) > 8)
})

t.test('a flat metric does not fire on tiny changes but does on a real one', async t => {
  const state = createScorerState()
  feed(
    state,
    Array.from({ length: 500 }, () => 50)
  )
  const tiny = feed(state, [50.01, 49.99, 50.02], 500)
  t.ok(
    tiny.every(result => result.score < 0.9),
    `tiny changes scored ${tiny.map(r => r.score).join(', ')}`
  )
  t.ok(tiny.every(result => Math.abs(result.z) < 0.1))
  const real = feed(state, [65], 503)[0]
  t.ok((real?.score ?? 0) >= DEFAULT_PARAMS.detectionLevel, `a 30% jump scored ${real?.score}`)
})

t.test('a daily cycle stays quiet across its cycle, and a break in it is found', async t => {
  const next = noise(11)
  const perDay = 288
  const cycle = (i: number): number => 100 + 40 * Math.sin((2 * Math.PI * i) / perDay) + next()
  const days = 10
  const state = createScorerState()
  const results = feed(
    state,
    Array.from({ length: days * perDay }, (_, i) => cycle(i))
  )
  const lastDays = results.slice(-3 * perDay)
  t.ok(
    lastDays.every(result => result.seasonal),
    'the seasonal baseline is in use'
  )
  const highest = Math.max(...results.map(result => result.score))
  t.ok(highest < DEFAULT_PARAMS.detectionLevel, `seasonal series peaked at ${highest}`)
  // Stuck at the daily mean during the trough: inside the overall range, wrong for the hour.
  const trough = Array.from({ length: 30 }, () => 100 + next())
  const start = days * perDay + Math.round(0.7 * perDay)
  feed(
    state,
    Array.from({ length: Math.round(0.7 * perDay) }, (_, i) => cycle(days * perDay + i)),
    days * perDay
  )
  const broken = feed(state, trough, start)
  t.ok(
    broken.some(result => result.score >= DEFAULT_PARAMS.detectionLevel),
    'a flat stretch in the trough is detected'
  )
})

const HOUR = 3_600_000

// Hourly, with weekdays around 100 and weekends around 40, each with its daily shape. START is a
// Monday; `holiday` makes a weekday look like a weekend day.
function weeklySeries(next: () => number, hours: number, holiday = -1): number[] {
  return Array.from({ length: hours }, (_, hour) => {
    const day = Math.floor(hour / 24)
    const weekend = day % 7 >= 5 || day === holiday
    const shape = Math.sin((2 * Math.PI * (hour % 24)) / 24)
    return (weekend ? 40 + 10 * shape : 100 + 40 * shape) + 2 * next()
  })
}

function feedHourly(state: ScorerState, values: number[]) {
  return values.map((value, hour) => scoreNext(state, value, START + hour * HOUR))
}

t.test('a weekly cycle gets a same-time-of-week baseline, and a weekday like a Sunday is found', async t => {
  const weeks = 6
  const holiday = weeks * 7 + 2
  const run = (params: Partial<typeof DEFAULT_PARAMS>) =>
    feedHourly(createScorerState(params), weeklySeries(noise(17), (weeks * 7 + 3) * 24, holiday))
  const weekly = run({})
  const dailyOnly = run({ weeklyWeeks: 0 })
  // The last Saturday at noon: the weekend's level, where the past seven days' median is a weekday's.
  const saturdayNoon = (weeks - 1) * 168 + 5 * 24 + 12
  t.ok(
    Math.abs((weekly[saturdayNoon]?.baseline as number) - 40) < 5,
    `weekly baseline ${weekly[saturdayNoon]?.baseline}`
  )
  t.ok(Math.abs((dailyOnly[saturdayNoon]?.baseline as number) - 40) > 30, "the daily baseline is a weekday's")
  const holidayPeak = (results: typeof weekly) =>
    Math.max(...results.slice(holiday * 24, (holiday + 1) * 24).map(result => result.score))
  t.ok(holidayPeak(weekly) >= DEFAULT_PARAMS.detectionLevel, `holiday peaked at ${holidayPeak(weekly)}`)
  t.ok(holidayPeak(dailyOnly) < DEFAULT_PARAMS.detectionLevel, `daily only: ${holidayPeak(dailyOnly)}`)
})

t.test('an hourly metric is damped for a day and a half after a detection, not 300 hours', async t => {
  // CAD off: its reports rest on their own; this is the likelihood's damping.
  const detections = (params: Partial<typeof DEFAULT_PARAMS>) => {
    const next = noise(5)
    const values = Array.from({ length: 1200 }, (_, hour) => {
      const incident = (hour >= 600 && hour < 606) || (hour >= 672 && hour < 678)
      return (incident ? 40 : 10) + next()
    })
    return feedHourly(createScorerState({ cadMaxContexts: 0, ...params }), values)
      .map((result, hour) => (result.score >= DEFAULT_PARAMS.detectionLevel ? hour : -1))
      .filter(hour => hour >= 0)
  }
  const found = detections({})
  t.equal(found.filter(hour => hour >= 600 && hour < 606).length, 1, 'the first incident pages once')
  t.equal(found.filter(hour => hour >= 672 && hour < 678).length, 1, 'the second, three days on, pages too')
  t.same(
    detections({ suppressionDays: 0 }).filter(hour => hour >= 672),
    [],
    'damped for 300 points, it would not'
  )
})

t.test('a value inside the usual range but out of its usual order is found by the context model', async t => {
  // A sawtooth whose every value is ordinary: only the order of values tells a break apart. The
  // seasonal baseline is off so the test sees the context model alone.
  const saw = (i: number): number => i % 17
  const learn = Array.from({ length: 2009 }, (_, i) => saw(i))
  const params = { seasonalPreference: 0 }
  const state = createScorerState(params)
  const learned = feed(state, learn)
  t.ok(
    learned.every(result => result.score < DEFAULT_PARAMS.detectionLevel),
    'the repeating pattern itself stays quiet'
  )
  // 12 where 3 was due, right after 2.
  const jump = feed(state, [12], learn.length)[0]
  t.ok(Math.abs(jump?.z ?? Infinity) < 1, `the value is unremarkable on its own (z ${jump?.z})`)
  t.ok((jump?.score ?? 0) >= DEFAULT_PARAMS.detectionLevel, `the out-of-order value scored ${jump?.score}`)
  const without = createScorerState({ ...params, contextWeight: 0, maxOrder: 0, cadMaxContexts: 0 })
  feed(without, learn)
  t.ok(
    (feed(without, [12], learn.length)[0]?.score ?? 1) < DEFAULT_PARAMS.detectionLevel,
    'without contexts it goes unseen'
  )
})

// Within its range the order of a sawtooth changes (it runs backwards): no value is off, so only
// a model of order sees it. The gate on the deviation is lowered so CAD's report counts here.
t.test('CAD finds a change of order inside the range and reports the start of the episode only', async t => {
  const saw = (i: number): number => i % 17
  const run = (params: Partial<typeof DEFAULT_PARAMS>) => {
    const state = createScorerState({ contextWeight: 0, maxOrder: 0, seasonalPreference: 0, cadMinZ: 0, ...params })
    const learned = feed(
      state,
      Array.from({ length: 1000 }, (_, i) => saw(i))
    )
    const changed = feed(
      state,
      Array.from({ length: 30 }, (_, i) => 16 - saw(i)),
      1000
    )
    const reports = (results: ReturnType<typeof feed>) =>
      results.filter(result => result.score >= DEFAULT_PARAMS.detectionLevel).length
    return {
      learned: reports(learned),
      changed: reports(changed),
      z: Math.max(...changed.map(result => Math.abs(result.z)))
    }
  }
  const cad = run({})
  t.equal(cad.learned, 0, 'the repeating pattern stays quiet')
  t.ok(cad.z < 2, `no value of the change is off (|z| up to ${cad.z})`)
  t.equal(cad.changed, 1, 'one report for the episode')
  t.ok(run({ cadRestPeriod: 0 }).changed > 1, 'without the rest period it reports again and again')
  t.equal(run({ cadMaxContexts: 0 }).changed, 0, 'without CAD the change goes unseen')
  t.equal(run({ cadMinZ: DEFAULT_PARAMS.cadMinZ }).changed, 0, 'by default CAD counts only where the value is also off')
})

// CAD OSE is given the file's range; here a value leaving the range moves it, and the model is
// rebuilt from the recent values under the new range, so it meets the new value knowing the usual
// pattern. Rebuilt from nothing it has no expectation to break, and the value looks ordinary to it.
// A sawtooth that every twentieth point or so jumps somewhere else keeps showing CAD new orders,
// so CAD keeps reporting; each report then says less than one from a metric whose order CAD has
// learned, and the scorer reads it so. The gate on the deviation and the context model are off so
// the detections are CAD's.
t.test("CAD's reports count less in a metric where CAD reports often", async t => {
  const cadOnly = { contextWeight: 0, maxOrder: 0, seasonalPreference: 0, cadMinZ: 0 }
  const detections = (values: number[], params: Partial<typeof DEFAULT_PARAMS>) => {
    const state = createScorerState({ ...cadOnly, ...params })
    const results = feed(state, values)
    return { count: results.filter(result => result.score >= DEFAULT_PARAMS.detectionLevel).length, state }
  }
  const next = noise(19)
  const jittered = Array.from({ length: 3000 }, (_, i) => (i % 17) + (next() > 1.7 ? Math.round(8 + 4 * next()) : 0))
  // A rate of 1 per point is never exceeded: the fixed reading of CAD's anomaly.
  const fixed = detections(jittered, { cadExpectedRate: 1 })
  const calibrated = detections(jittered, {})
  const rate = calibrated.state.cadReports / calibrated.state.cadScored
  t.ok(rate > DEFAULT_PARAMS.cadExpectedRate, `CAD reported at ${rate} per point`)
  t.ok(calibrated.count < fixed.count, `${calibrated.count} detections against ${fixed.count} at the fixed reading`)

  // A learned sawtooth broken once: CAD has hardly reported before, so the report still counts.
  const broken = [
    ...Array.from({ length: 1000 }, (_, i) => i % 17),
    ...Array.from({ length: 30 }, (_, i) => 16 - (i % 17))
  ]
  t.equal(detections(broken, {}).count, 1, 'the break is reported once')
})

t.test("a value that moves CAD's range meets a model rebuilt from the recent values", async t => {
  const saw = (i: number): number => i % 17
  const spikeAfter = (params: Partial<typeof DEFAULT_PARAMS>) => {
    const state = createScorerState({ contextWeight: 0, maxOrder: 0, ...params })
    feed(
      state,
      Array.from({ length: 2000 }, (_, i) => saw(i))
    )
    return feed(state, [60], 2000)[0]
  }
  const rebuilt = spikeAfter({})
  t.ok((rebuilt?.cad ?? 0) >= DEFAULT_PARAMS.cadBaseThreshold, `CAD anomaly ${rebuilt?.cad}`)
  t.ok((rebuilt?.score ?? 0) >= DEFAULT_PARAMS.detectionLevel)
  const empty = spikeAfter({ cadRebuildPoints: 0 })
  t.ok((empty?.cad ?? 1) < DEFAULT_PARAMS.cadBaseThreshold, `CAD anomaly without the rebuild ${empty?.cad}`)
})

t.test('the state stays bounded on a long noisy series', async t => {
  const next = noise(13)
  const state = createScorerState()
  feed(
    state,
    Array.from({ length: 20_000 }, () => 100 + 20 * next())
  )
  t.ok(state.context.size <= DEFAULT_PARAMS.maxContexts)
  t.equal(Object.keys(state.context.followers).length, state.context.size)
  t.ok(state.history.length <= DEFAULT_PARAMS.historySize)
  const model = state.cad.model
  t.equal(model.hits.length, DEFAULT_PARAMS.cadMaxContexts, 'CAD filled its memory and stopped there')
  t.ok(
    model.left.facts.length <= DEFAULT_PARAMS.cadMaxContexts &&
      model.right.facts.length <= DEFAULT_PARAMS.cadMaxContexts
  )
  const bytes = JSON.stringify(state).length
  t.ok(bytes < 1_000_000, `state is ${bytes} bytes of JSON`)
})

t.test('a detection is followed by damping, not a stream of repeats', async t => {
  const next = noise(3)
  const state = createScorerState()
  feed(
    state,
    Array.from({ length: 1000 }, () => 10 + next())
  )
  const shifted = feed(
    state,
    Array.from({ length: 50 }, () => 30 + next()),
    1000
  )
  const detections = shifted.filter(result => result.score >= DEFAULT_PARAMS.detectionLevel)
  t.equal(detections.length, 1)
})

t.test('scores are deterministic and the state survives a JSON round trip', async t => {
  const next = noise(5)
  const values = Array.from({ length: 1500 }, (_, i) => 20 + 3 * Math.sin(i / 30) + next() + (i === 1200 ? 40 : 0))
  const times = values.map((_, i) => START + i * FIVE_MINUTES)
  const once = scoreSeries(values, times)
  t.same(scoreSeries(values, times), once)
  t.ok(once.every(score => score >= 0 && score <= 1))

  const state = createScorerState()
  const firstHalf = values.slice(0, 700).map((value, i) => scoreNext(state, value, times[i] as number).score)
  const restored = JSON.parse(JSON.stringify(state)) as ScorerState
  const secondHalf = values.slice(700).map((value, i) => scoreNext(restored, value, times[700 + i] as number).score)
  t.same([...firstHalf, ...secondHalf], [...once])
})

t.test('non-finite values are ignored without touching the state', async t => {
  const state = createScorerState()
  feed(state, [1, 2, 3])
  const before = JSON.stringify(state)
  t.equal(scoreNext(state, NaN, START).score, 0)
  t.equal(JSON.stringify(state), before)
})
