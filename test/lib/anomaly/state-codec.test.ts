import t from 'tap'
import { createScorerState, scoreNext, type ScorerState } from '../../../src/lib/anomaly/adaptive-scorer.js'
import { packScorerState, unpackScorerState, type PackedScorerState } from '../../../src/lib/anomaly/state-codec.js'

const FIVE_MINUTES = 300_000
const START = Date.UTC(2024, 0, 1)

// A daily cycle (288 points a day) with seeded noise and a level shift late on, so the context
// model, CAD and the seasonal baseline all hold state worth packing.
function series(length: number): number[] {
  let seed = 7
  const random = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    return seed / 4294967296
  }
  return Array.from(
    { length },
    (_, i) => 100 + 30 * Math.sin((2 * Math.PI * i) / 288) + 5 * random() + (i > 1300 ? 40 : 0)
  )
}

const stored = (state: ScorerState): PackedScorerState =>
  JSON.parse(JSON.stringify(packScorerState(state))) as PackedScorerState

t.test('a packed state, stored as JSON and unpacked, scores the rest exactly as the unbroken one', async t => {
  const values = series(1600)
  const unbroken = createScorerState()
  let resumed = createScorerState()
  const differing: number[] = []
  for (let i = 0; i < values.length; i++) {
    // Packed and unpacked every 200 points, as a run stores it and the next reads it.
    if (i > 0 && i % 200 === 0) resumed = unpackScorerState(stored(resumed))
    const time = START + i * FIVE_MINUTES
    const expected = scoreNext(unbroken, values[i] as number, time)
    if (scoreNext(resumed, values[i] as number, time).score !== expected.score) differing.push(i)
  }
  t.same(differing, [], 'every score equal')
  t.ok(unbroken.cad.model.hits.length > 0 && unbroken.period === 288, 'CAD and the daily period were in play')
  // CAD's per-step scratch counts are reset before each use, so they are not packed.
  const withoutScratch = (state: ScorerState): unknown =>
    JSON.parse(JSON.stringify(state, (key, value: unknown) => (key === 'crossCount' || key === 'crossed' ? [] : value)))
  t.same(
    withoutScratch(unpackScorerState(stored(unbroken))),
    withoutScratch(unbroken),
    'the unpacked state is the state'
  )
  const plain = JSON.stringify(unbroken).length
  const packed = JSON.stringify(packScorerState(unbroken)).length
  t.ok(packed * 2 < plain, `packed ${packed} bytes against ${plain} as plain JSON`)
})

t.test('a state with the weekly baseline in play packs and scores on exactly', async t => {
  // Hourly for five weeks: the weekly baseline needs two weeks of history before it competes.
  const values = series(840)
  const unbroken = createScorerState()
  let resumed = createScorerState()
  const differing: number[] = []
  for (let i = 0; i < values.length; i++) {
    if (i > 0 && i % 150 === 0) resumed = unpackScorerState(stored(resumed))
    const time = START + i * 3_600_000
    const expected = scoreNext(unbroken, values[i] as number, time)
    if (scoreNext(resumed, values[i] as number, time).score !== expected.score) differing.push(i)
  }
  t.same(differing, [], 'every score equal')
  t.ok(unbroken.weeklyErrors.length > 0 && unbroken.period === 24, 'the weekly baseline was in play')
  t.same(unpackScorerState(stored(unbroken)).weeklySorted, unbroken.weeklySorted, 'its errors are restored, sorted')
})
