// `npm run bench:nab:options -- [--nab DIR] [--only NAME,...]`: the detector designs tried against
// the live one, each scored the way `npm run bench:nab` scores the live detector: the corpus score
// per profile and leave-one-category-out (parameters and threshold chosen without each category in
// turn, among the design's own variants). A design is adopted only when its held-out mean beats
// the live detector's. Raw scores are cached per design, parameters and source in .data/nab-scores.
//
// The designs: the live `adaptive` scorer, the ARTime-style detector (bench/nab/art-detector.ts)
// `ART alone`, and ensembles of the two: `max` (the higher score), `noisy-or` (1 - (1 - a)(1 - b),
// the two read as independent probabilities) and `agree` (a report only where the other detector
// also scored at least `level` within the last `within` points: two detectors of different kinds
// agreeing). Each design's leave-one-out chooses among its own variants. The `adaptive <variant>`
// designs are the live scorer with one of its parameters changed (see scorerVariants). `block
// alone` is the live scorer run on the means of fixed blocks of time, and `max block` the higher
// of it and the live scorer, choosing the block's length among its variants (`max block muted`:
// the block's score left out for 300 points after the live scorer's detection); `max block <n>
// min` is one length alone. `transform asinh` and `transform sqrt` are the live scorer on the
// values passed through that function first, and `max transform asinh` the higher of it and the
// live scorer.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { scoreSeries, type ScorerParams } from '../../src/lib/anomaly/adaptive-scorer.js'
import { artSeries, type ArtParams } from './art-detector.js'
import { readCorpus, readProfiles, readWindowLabels, resolveWindows, type Series } from './corpus.js'
import { leaveOneCategoryOut, meanHeldOut } from './leave-one-out.js'
import { cachedScores, filesFingerprint, scorerFingerprint } from './score-cache.js'
import { evaluateProfile, type ScoredFile } from './scoring.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const { values: args } = parseArgs({
  options: {
    nab: { type: 'string', default: path.resolve(repoRoot, '..', 'shared', 'nab') },
    only: { type: 'string' }
  }
})
const nabDir = path.resolve(args.nab)
const cacheDir = path.join(repoRoot, '.data', 'nab-scores')
const labels = readWindowLabels(nabDir)
const profiles = readProfiles(nabDir)
const corpus = readCorpus(nabDir)
const windows = new Map(corpus.map(series => [series.name, resolveWindows(series, labels[series.name] ?? [])]))

type Scores = Map<string, Float64Array>

let timedPoints = 0
let timedMs = 0

function scoreCorpus(fingerprint: string, detect: (series: Series) => Float64Array, timed = false): Scores {
  return new Map(
    corpus.map(series => {
      const started = performance.now()
      const { scores, cached } = cachedScores(cacheDir, fingerprint, series.name, () => detect(series))
      if (timed && !cached) {
        timedMs += performance.now() - started
        timedPoints += series.values.length
      }
      return [series.name, scores]
    })
  )
}

const scorerDir = path.join(repoRoot, 'src', 'lib', 'anomaly')
const adaptiveWith = (params: Partial<ScorerParams>, timed = false): Scores =>
  scoreCorpus(scorerFingerprint(scorerDir, params), series => scoreSeries(series.values, series.times, params), timed)
const adaptive = adaptiveWith({})
const artSource = [path.join(repoRoot, 'bench', 'nab', 'art-detector.ts')]
const artAlone = (params: Partial<ArtParams>): Scores =>
  scoreCorpus(filesFingerprint(artSource, params), series => artSeries(series.values, params), true)

function combine(a: Scores, b: Scores, join: (a: Float64Array, b: Float64Array) => Float64Array): Scores {
  return new Map([...a].map(([name, scores]) => [name, join(scores, b.get(name) as Float64Array)]))
}

const noisyOr = (a: Float64Array, b: Float64Array): Float64Array =>
  a.map((x, i) => 1 - (1 - x) * (1 - (b[i] as number)))
/** `a`'s score where `b` reached `level` within the last `within` points (or the other way round), else 0. */
const agree =
  (level: number, within: number) =>
  (a: Float64Array, b: Float64Array): Float64Array => {
    let lastA = -Infinity
    let lastB = -Infinity
    return a.map((x, i) => {
      const y = b[i] as number
      if (x >= level) lastA = i
      if (y >= level) lastB = i
      return Math.max(i - lastB <= within ? x : 0, i - lastA <= within ? y : 0)
    })
  }

const artVariants: Array<[string, Partial<ArtParams>]> = [
  ['defaults', {}],
  ['artDownsample=2', { artDownsample: 2 }],
  ['artVigilanceQuantile=0.05', { artVigilanceQuantile: 0.05 }],
  ['artRelativeLevelFloor=0.001', { artRelativeLevelFloor: 0.001 }],
  ['artRelativeLevelFloor=0.0002', { artRelativeLevelFloor: 0.0002 }]
]
const withArt = (join: (a: Float64Array, b: Float64Array) => Float64Array) => (): Map<string, Scores> =>
  new Map(artVariants.map(([name, params]) => [`ART ${name}`, combine(adaptive, artAlone(params), join)]))

// The live scorer with its weekly baseline or its suppression in days switched off or moved, each a
// design of its own (one parameter set, so its leave-one-out chooses only the threshold). The
// designs measured and rejected (report-rate calibration, a CUSUM shift score, a long-window
// likelihood, CAD damped with the likelihood) were removed from the scorer; commit f66aa0c scores
// them (docs/detection.md has their figures).
const scorerVariants: Array<[string, Partial<ScorerParams>]> = [
  ['before issue 21 (weeklyWeeks=0 suppressionDays=0)', { weeklyWeeks: 0, suppressionDays: 0 }],
  ['weeklyWeeks=0', { weeklyWeeks: 0 }],
  ['suppressionDays=0', { suppressionDays: 0 }],
  ['weeklyWeeks=4', { weeklyWeeks: 4 }],
  ['suppressionDays=1', { suppressionDays: 1 }],
  ['suppressionDays=2', { suppressionDays: 2 }],
  ['averagingWindow=5', { averagingWindow: 5 }],
  ['averagingWindow=20', { averagingWindow: 20 }],
  ['levels=12', { levels: 12 }],
  ['maxOrder=4', { maxOrder: 4 }],
  ['cadRestPeriod=60', { cadRestPeriod: 60 }],
  ['cadActiveNeurons=25', { cadActiveNeurons: 25 }],
  ['minSupport=3', { minSupport: 3 }],
  ['rangeMargin=0.4', { rangeMargin: 0.4 }],
  ['likelihoodWindow=1000', { likelihoodWindow: 1000 }],
  ['relativeSpreadFloor=0.02', { relativeSpreadFloor: 0.02 }],
  ['cadValueBits=4', { cadValueBits: 4 }],
  ['cadMaxLeftFacts=4', { cadMaxLeftFacts: 4 }],
  ['cadMaxLeftFacts=5', { cadMaxLeftFacts: 5 }],
  ['cadMaxLeftFacts=6', { cadMaxLeftFacts: 6 }],
  ['cadHysteresis=0.2', { cadHysteresis: 0.2 }],
  ['cadBaseThreshold=0.85', { cadBaseThreshold: 0.85 }],
  ['cadRebuildPoints=1000', { cadRebuildPoints: 1000 }]
]

// The live scorer a second time, on coarser evidence: the means of fixed blocks of event time
// (as the service's hourly rollup would give them), scored at each block's last point. A shift
// of a few hours that the points' own noise hides can stand out among the block means. Only for
// series sampled at least four times a block; the design takes the higher of the two scores.
function blockSeries(series: Series, blockMs: number): Float64Array {
  const out = new Float64Array(series.values.length)
  const ends: number[] = []
  for (let i = 0; i < series.values.length; i++) {
    const next = series.times[i + 1]
    if (next === undefined || Math.floor(next / blockMs) !== Math.floor((series.times[i] as number) / blockMs))
      ends.push(i)
  }
  if (ends.length * 4 > series.values.length) return out
  const means: number[] = []
  let start = 0
  for (const end of ends) {
    let sum = 0
    for (let i = start; i <= end; i++) sum += series.values[i] as number
    means.push(sum / (end - start + 1))
    start = end + 1
  }
  const scores = scoreSeries(
    means,
    ends.map(end => series.times[end] as number)
  )
  scores.forEach((score, block) => (out[ends[block] as number] = score))
  return out
}
const blockMinutes = [30, 60, 90, 120, 180, 240, 360]
const blockAlone = (minutes: number): Scores =>
  scoreCorpus(
    `${scorerFingerprint(scorerDir, {})}-block-${minutes}`,
    series => blockSeries(series, minutes * 60_000),
    true
  )
const higher = (a: Float64Array, b: Float64Array): Float64Array => a.map((x, i) => Math.max(x, b[i] as number))
const mutedHigher = (a: Float64Array, b: Float64Array): Float64Array => {
  let lastDetection = -Infinity
  return a.map((x, i) => {
    if (x >= 0.9999) lastDetection = i
    return i - lastDetection <= 300 ? x : Math.max(x, b[i] as number)
  })
}
const maxBlock = (minutes: number): Scores => combine(adaptive, blockAlone(minutes), higher)
/** A design whose variants are the block lengths. */
const blockDesign = (scores: (minutes: number) => Scores): Map<string, Scores> =>
  new Map(blockMinutes.map(minutes => [`${minutes} min`, scores(minutes)]))

// The live scorer on values passed through a fixed, variance-stabilising function first: counts
// and latencies whose noise grows with their level are judged on a scale where it does not.
const transformed = (name: string, transform: (value: number) => number): Scores =>
  scoreCorpus(
    `${scorerFingerprint(scorerDir, {})}-transform-${name}`,
    series => scoreSeries(Array.from(series.values, transform), series.times),
    true
  )
const signedSqrt = (value: number): number => Math.sign(value) * Math.sqrt(Math.abs(value))

const designs: Record<string, () => Map<string, Scores>> = {
  adaptive: () => new Map([['defaults', adaptive]]),
  ...Object.fromEntries(
    scorerVariants.map(([name, params]) => [`adaptive ${name}`, () => new Map([[name, adaptiveWith(params, true)]])])
  ),
  'ART alone': () => new Map(artVariants.map(([name, params]) => [name, artAlone(params)])),
  max: withArt(higher),
  'noisy-or': withArt(noisyOr),
  agree: () =>
    new Map([
      ['level=0.9 within=10', combine(adaptive, artAlone({}), agree(0.9, 10))],
      ['level=0.5 within=20', combine(adaptive, artAlone({}), agree(0.5, 20))]
    ]),
  'max block muted': () => blockDesign(minutes => combine(adaptive, blockAlone(minutes), mutedHigher)),
  'block alone': () => blockDesign(blockAlone),
  'max block': () => blockDesign(maxBlock),
  ...Object.fromEntries(
    blockMinutes.map(minutes => [`max block ${minutes} min`, () => new Map([[`${minutes} min`, maxBlock(minutes)]])])
  ),
  'transform asinh': () => new Map([['asinh', transformed('asinh', Math.asinh)]]),
  'transform sqrt': () => new Map([['sqrt', transformed('sqrt', signedSqrt)]]),
  'max transform asinh': () => new Map([['asinh', combine(adaptive, transformed('asinh', Math.asinh), higher)]])
}

const only = args.only?.split(',')
for (const [design, variants] of Object.entries(designs)) {
  if (only !== undefined && !only.includes(design)) continue
  const candidates = new Map(
    [...variants()].map(([name, scores]): [string, ScoredFile[]] => [
      name,
      corpus.map(series => ({
        name: series.name,
        category: series.category,
        scores: scores.get(series.name) as Float64Array,
        windows: windows.get(series.name) ?? []
      }))
    ])
  )
  console.log(`${design}:`)
  for (const [name, files] of candidates) {
    const line = Object.entries(profiles)
      .map(([profile, cost]) => `${profile}=${evaluateProfile(files, cost).normalized.toFixed(1)}`)
      .join(' ')
    console.log(`  corpus, ${name}: ${line}`)
  }
  for (const [profile, cost] of Object.entries(profiles)) {
    const results = leaveOneCategoryOut(candidates, cost)
    const held = results
      .filter(result => !Number.isNaN(result.normalized))
      .map(result => `${result.category} ${result.normalized.toFixed(1)} (${result.candidate})`)
      .join(', ')
    console.log(`  leave-one-out ${profile}: mean ${meanHeldOut(results).toFixed(1)}; ${held}`)
  }
}
if (timedPoints > 0)
  console.log(
    `timed detectors (ART, scorer variants): ${timedPoints} points scored in ${timedMs.toFixed(0)} ms, ${((timedMs * 1000) / timedPoints).toFixed(2)} µs per point`
  )
