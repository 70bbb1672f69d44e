import t from 'tap'
import { ART_DEFAULTS, artSeries } from '../../bench/nab/art-detector.js'

// A square wave of period 16 learned for a while, then a window shape it never had.
function feed(values: number[]): number[] {
  return Array.from(artSeries(values))
}

const square = (i: number): number => (Math.floor(i / 8) % 2 === 0 ? 10 : 20)

// The vigilance is tuned so that a share of windows (artVigilanceQuantile) finds no resonance even
// in a pattern it knows well, so the learned part is not silent; the new shape must still outrank
// all of it.
t.test('a new shape outranks everything a learned pattern scores', async t => {
  const learned = Array.from({ length: 1500 }, (_, i) => square(i))
  // A ramp inside the usual range: no value is new, the shape is.
  const broken = [...learned, 10, 12, 14, 16, 18, 20, 18, 16, 14, 12, 10]
  const scores = feed(broken)
  const quiet = Math.max(...scores.slice(ART_DEFAULTS.artWarmup, learned.length))
  const shape = Math.max(...scores.slice(learned.length))
  t.ok(shape >= ART_DEFAULTS.artReportLevel, `the new shape scored ${shape}`)
  t.ok(shape > quiet, `above the learned pattern's ${quiet}`)
})

t.test('nothing is scored while learning, and a report damps the next ones', async t => {
  const values = Array.from({ length: 1600 }, (_, i) => (i === 1500 || i === 1510 ? 40 : square(i)))
  const scores = feed(values)
  t.ok(scores.slice(0, ART_DEFAULTS.artWarmup).every(score => score === 0))
  const first = Math.max(...scores.slice(1500, 1508))
  const second = Math.max(...scores.slice(1510, 1518))
  t.ok(first >= ART_DEFAULTS.artReportLevel, `the first break scored ${first}`)
  t.ok(second < 0.1, `the second, right after, scored ${second}`)
})

t.test('with a relative level floor a flat metric does not fire on tiny changes', async t => {
  const values = [...Array.from({ length: 500 }, () => 50), 50.01, 49.99, 50.02]
  const tiny = (floor: number): number => Math.max(...artSeries(values, { artRelativeLevelFloor: floor }).slice(500))
  t.ok(tiny(0) >= ART_DEFAULTS.artReportLevel, `without it they scored ${tiny(0)}`)
  t.ok(tiny(0.001) < 0.5, `with it ${tiny(0.001)}`)
})
