import t from 'tap'
import { parseSeries, resolveWindows, type CostMatrix, type Window } from '../../bench/nab/corpus.js'
import {
  corpusRows,
  evaluateProfile,
  optimizeThreshold,
  probationLength,
  scaledSigmoid,
  scoreAtThreshold,
  sweepRows,
  type ScoredFile
} from '../../bench/nab/scoring.js'

const STANDARD: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 }
const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-12

function file(length: number, windows: Window[], detections: number[], category = 'c'): ScoredFile {
  const scores = new Float64Array(length)
  for (const i of detections) scores[i] = 1
  return { name: `${category}/f.csv`, category, scores, windows }
}

// Probation off, as NAB's own sweeper tests do, so every row is scorable.
function scoreOf(length: number, windows: Window[], detections: number[], cost = STANDARD): number {
  return scoreAtThreshold(sweepRows(file(length, windows, detections), cost, 0, 0), 0.5, cost).score
}

t.test("the scaled sigmoid has NAB's shape", async t => {
  t.ok(close(scaledSigmoid(-1), 2 / (1 + Math.exp(-5)) - 1))
  t.equal(scaledSigmoid(0), 0)
  t.ok(close(scaledSigmoid(1), -scaledSigmoid(-1)))
  t.equal(scaledSigmoid(3), -1)
})

t.test('probation is 15% of the rows, at most 750', async t => {
  t.equal(probationLength(1000), 150)
  t.equal(probationLength(4033), 604)
  t.equal(probationLength(20000), 750)
})

t.test('a detection at the window start earns the full weight, at the end almost nothing', async t => {
  const windows = [{ start: 40, end: 49 }]
  t.ok(close(scoreOf(100, windows, [40]), 1))
  const atEnd = scoreOf(100, windows, [49])
  t.ok(close(atEnd, scaledSigmoid(-1 / 10) / scaledSigmoid(-1)), `end of window scored ${atEnd}`)
  t.ok(atEnd > 0 && atEnd < 0.3)
  t.ok(scoreOf(100, windows, [44]) < 1 && scoreOf(100, windows, [44]) > atEnd)
})

t.test('only the earliest detection in a window counts', async t => {
  const windows = [{ start: 40, end: 49 }]
  t.ok(close(scoreOf(100, windows, [42, 45, 48]), scoreOf(100, windows, [42])))
})

t.test('a missed window costs fnWeight', async t => {
  t.equal(scoreOf(100, [{ start: 40, end: 49 }], []), -1)
  t.equal(
    scoreOf(
      100,
      [
        { start: 10, end: 19 },
        { start: 60, end: 69 }
      ],
      [],
      { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 }
    ),
    -4
  )
})

t.test('false positives weigh fpWeight, less right after a window', async t => {
  const windows = [{ start: 40, end: 49 }]
  t.ok(close(scoreOf(100, windows, [40, 10]), 1 - 0.11), 'before any window: the full fpWeight')
  const justAfter = scoreOf(100, windows, [40, 50]) - 1
  t.ok(close(justAfter, 0.11 * scaledSigmoid(1 / 9)), `just after the window: ${justAfter}`)
  t.ok(justAfter > -0.11 && justAfter < 0)
  t.ok(close(scoreOf(100, windows, [40, 90]), 1 - 0.11), 'three widths after: the full fpWeight again')
})

t.test('detections in the probationary period are ignored', async t => {
  const rows = sweepRows(file(100, [{ start: 40, end: 49 }], [5, 40]), STANDARD, 0)
  t.equal(rows.length, 100 - 15)
  t.ok(close(scoreAtThreshold(rows, 0.5, STANDARD).score, 1))
})

t.test('the perfect detector scores 100 and the null detector 0 on every profile', async t => {
  const profiles: CostMatrix[] = [
    STANDARD,
    { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
    { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 }
  ]
  const layout = [
    [{ start: 300, end: 339 }],
    [
      { start: 200, end: 219 },
      { start: 700, end: 739 }
    ],
    []
  ]
  for (const cost of profiles) {
    const perfect = layout.map((windows, i) =>
      file(
        1000,
        windows,
        windows.map(w => w.start),
        `c${i}`
      )
    )
    const none = layout.map((windows, i) => file(1000, windows, [], `c${i}`))
    t.ok(close(evaluateProfile(perfect, cost).normalized, 100))
    t.ok(close(evaluateProfile(none, cost).normalized, 0))
  }
})

t.test('one threshold is swept over all files together', async t => {
  const windows = [{ start: 400, end: 439 }]
  const a = file(1000, windows, [])
  const b = file(1000, windows, [])
  a.scores = Float64Array.from(a.scores, (_, i) => (i === 400 ? 0.9 : i === 800 ? 0.7 : 0.1))
  b.scores = Float64Array.from(b.scores, (_, i) => (i === 410 ? 0.6 : i === 900 ? 0.95 : 0.1))
  const best = optimizeThreshold(corpusRows([a, b], STANDARD), STANDARD)
  // 0.6 catches both windows at the price of two FPs; 0.9 catches one window with one FP.
  t.equal(best.threshold, 0.6)
  t.ok(close(best.score, 1 + scaledSigmoid(-30 / 40) / scaledSigmoid(-1) - 0.22))
  t.ok(close(scoreAtThreshold(corpusRows([a, b], STANDARD), 0.6, STANDARD).score, best.score))
})

t.test('windows resolve to rows by instant, microseconds and all', async t => {
  const series = parseSeries(
    'c/f.csv',
    'timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\n2014-01-01 00:10:00,3\n'
  )
  t.same(resolveWindows(series, [['2014-01-01 00:05:00.000000', '2014-01-01 00:10:00.000000']]), [{ start: 1, end: 2 }])
  t.throws(() => resolveWindows(series, [['2014-01-01 00:06:00.000000', '2014-01-01 00:10:00.000000']]))
})
