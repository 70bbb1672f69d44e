// Research, not the live detector: `npm run bench:nab:options` scores it alone and in ensembles
// with the live scorer (docs/detection.md gives the figures and why it was not adopted).
//
// A streaming detector in the manner of ARTime, written from its published description only
// (adaptive resonance clustering of short quantised windows with a wavelet-like feature; a window
// that resonates with no learned category is a new pattern, hence an anomaly; the vigilance tunes
// itself; reports are damped for a while after one). No code of ARTime was read. Like the rest of
// the scorer it never sees the future or the series' range: values are placed in the running
// range (widened by a margin, moved only when a value leaves it).
//
// Each point closes a window of the last artWindow * artDownsample values, averaged in steps of
// artDownsample, each step quantised to artLevels levels of the range. Its features are those
// levels and the Haar details of the window (half the difference of neighbouring averages at every
// scale, moved into [0, 1]), complement-coded as Fuzzy ART wants. Of the categories whose match
// |I ^ w| / |I| reaches the vigilance, the one of highest choice |I ^ w| / (alpha + |w|) learns the
// input (the first a search in order of choice would accept); when none does, a new category is
// made. The vigilance follows the data: it is the artVigilanceQuantile of the best matches seen,
// so about that share of windows finds no resonance, whatever the metric's noise. A new category
// scores 1 - (its best match's rank among the best matches seen) * artVigilanceQuantile: the
// chance of a window at least that far from every learned pattern, on the same tail-probability
// scale as the scorer's likelihood. Other points score 0.

import { lowerBound } from '../../src/lib/anomaly/robust-stats.js'

export interface ArtParams {
  /** Steps per window (a power of two, for the Haar transform). */
  artWindow: number
  /** Values averaged into one step. */
  artDownsample: number
  /** Quantisation levels of a step within the running range. */
  artLevels: number
  /** Share of the observed span the range extends beyond each extreme. */
  artRangeMargin: number
  /** Choice parameter of Fuzzy ART. */
  artAlpha: number
  /** Learning rate of a category that resonates (a new one takes its input whole). */
  artLearningRate: number
  /** Share of windows expected to find no resonating category: sets the vigilance. */
  artVigilanceQuantile: number
  /** Categories kept at most; past it the least used is replaced (the bound on its state). */
  artMaxCategories: number
  /** Best matches remembered to rank a new one against. */
  artMatchHistory: number
  /** Points over which a report damps later scores. */
  artSuppression: number
  /** Score at or above which a point is a report for suppression. */
  artReportLevel: number
  /** Points scored 0 while the detector learns (the live scorer's warm-up). */
  artWarmup: number
  /**
   * Least level width as a share of the largest magnitude seen (0: none), so a flat metric's tiny
   * changes stay in one level; with it the range is also set half a level off centre, so a metric
   * that has been constant sits in the middle of a level.
   */
  artRelativeLevelFloor: number
}

export const ART_DEFAULTS: Readonly<ArtParams> = Object.freeze({
  artWindow: 8,
  artDownsample: 1,
  artLevels: 16,
  artRangeMargin: 0.1,
  artAlpha: 0.001,
  artLearningRate: 0.1,
  artVigilanceQuantile: 0.02,
  artMaxCategories: 400,
  artMatchHistory: 3000,
  artSuppression: 300,
  artReportLevel: 0.999,
  artWarmup: 150,
  artRelativeLevelFloor: 0
})

export interface ArtCategory {
  /** Complement-coded weights. */
  weights: number[]
  /** Their sum. */
  norm: number
  /** Inputs it has taken. */
  uses: number
}

export interface ArtState {
  count: number
  /** Extremes of every value seen, null before the first. */
  min: number | null
  max: number | null
  /** The range levels are cut from: the extremes widened by the margin, moved only when a value leaves it. */
  low: number
  high: number
  /** The values of the current window, oldest first. */
  recent: number[]
  categories: ArtCategory[]
  /** Best matches seen, in arrival order (the scorer keeps a sorted copy beside it). */
  matches: number[]
  sortedMatches: number[]
  /** Points since the last report, capped at artSuppression. */
  sinceReport: number
}

export function createArtState(params: ArtParams): ArtState {
  return {
    count: 0,
    min: null,
    max: null,
    low: 0,
    high: 0,
    recent: [],
    categories: [],
    matches: [],
    sortedMatches: [],
    sinceReport: params.artSuppression
  }
}

/** The range is never narrower than artLevels * minLevelWidth, so a flat metric's tiny changes stay in one level. */
function placeInRange(state: ArtState, params: ArtParams, value: number, minLevelWidth: number): void {
  const min = state.min === null ? value : Math.min(state.min, value)
  const max = state.max === null ? value : Math.max(state.max, value)
  state.min = min
  state.max = max
  if (value < state.low || value > state.high || state.low === state.high) {
    const relative = params.artRelativeLevelFloor * Math.max(Math.abs(min), Math.abs(max))
    const least = params.artLevels * Math.max(minLevelWidth, relative)
    const width = Math.max((max - min) * (1 + 2 * params.artRangeMargin), least)
    const offCentre = params.artRelativeLevelFloor > 0 ? width / (2 * params.artLevels) : 0
    state.low = (min + max) / 2 - width / 2 - offCentre
    state.high = state.low + width
  }
}

/** The complement-coded features of the current window. */
function features(state: ArtState, params: ArtParams): number[] {
  const { artDownsample: downsample, artLevels: levels } = params
  const width = state.high - state.low
  const quantised: number[] = []
  for (let i = 0; i < state.recent.length; i += downsample) {
    let sum = 0
    for (let j = i; j < i + downsample; j++) sum += state.recent[j] as number
    const level = Math.min(levels - 1, Math.max(0, Math.floor(((sum / downsample - state.low) / width) * levels)))
    quantised.push((level + 0.5) / levels)
  }
  const raw = [...quantised]
  let averages = quantised
  while (averages.length > 1) {
    const next: number[] = []
    for (let i = 0; i < averages.length; i += 2) {
      const a = averages[i] as number
      const b = averages[i + 1] as number
      next.push((a + b) / 2)
      raw.push(0.5 + (b - a) / 2)
    }
    averages = next
  }
  return [...raw, ...raw.map(x => 1 - x)]
}

function overlap(input: number[], weights: number[]): number {
  let sum = 0
  for (let i = 0; i < input.length; i++) sum += Math.min(input[i] as number, weights[i] as number)
  return sum
}

/**
 * Scores `value` (0 while `learning`), then learns the window it closes. `minLevelWidth` is the
 * narrowest a level may be (the scorer's spread floor).
 */
export function artNext(
  state: ArtState,
  params: ArtParams,
  value: number,
  minLevelWidth: number,
  learning: boolean
): number {
  const p = params
  state.count++
  placeInRange(state, p, value, minLevelWidth)
  const span = p.artWindow * p.artDownsample
  state.recent.push(value)
  if (state.recent.length > span) state.recent.shift()
  if (state.recent.length < span) return 0
  const input = features(state, p)
  const size = input.length / 2
  const n = state.sortedMatches.length
  const vigilance = n === 0 ? 1 : (state.sortedMatches[Math.floor(p.artVigilanceQuantile * (n - 1))] as number)
  let best = 0
  let resonating: ArtCategory | undefined
  let resonatingChoice = -Infinity
  for (const category of state.categories) {
    const shared = overlap(input, category.weights)
    const match = shared / size
    best = Math.max(best, match)
    const choice = shared / (p.artAlpha + category.norm)
    if (match >= vigilance && choice > resonatingChoice) {
      resonating = category
      resonatingChoice = choice
    }
  }
  let score = 0
  if (resonating === undefined) {
    if (!learning && n > 0) score = 1 - ((lowerBound(state.sortedMatches, best) + 1) / (n + 1)) * p.artVigilanceQuantile
    const category = { weights: input, norm: size, uses: 1 }
    if (state.categories.length < p.artMaxCategories) state.categories.push(category)
    else {
      let least = 0
      state.categories.forEach((c, i) => {
        if (c.uses < (state.categories[least] as ArtCategory).uses) least = i
      })
      state.categories[least] = category
    }
  } else {
    let norm = 0
    const { weights } = resonating
    for (let i = 0; i < input.length; i++) {
      const w = weights[i] as number
      const next = p.artLearningRate * Math.min(input[i] as number, w) + (1 - p.artLearningRate) * w
      weights[i] = next
      norm += next
    }
    resonating.norm = norm
    resonating.uses++
  }
  // The first window makes the first category: there is no match to rank yet.
  if (state.categories.length > 1 || resonating !== undefined) {
    state.matches.push(best)
    state.sortedMatches.splice(lowerBound(state.sortedMatches, best), 0, best)
    if (state.matches.length > p.artMatchHistory) {
      const old = state.matches.shift() as number
      state.sortedMatches.splice(lowerBound(state.sortedMatches, old), 1)
    }
  }
  if (state.sinceReport < p.artSuppression) score *= state.sinceReport / p.artSuppression
  state.sinceReport = score >= p.artReportLevel ? 0 : Math.min(state.sinceReport + 1, p.artSuppression)
  return score
}

/** Scores a whole series with a fresh state; `minLevelWidth` as in artNext. */
export function artSeries(
  values: ArrayLike<number>,
  params: Partial<ArtParams> = {},
  minLevelWidth = 1e-6
): Float64Array {
  const merged = { ...ART_DEFAULTS, ...params }
  const state = createArtState(merged)
  const scores = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++)
    scores[i] = artNext(state, merged, values[i] as number, minLevelWidth, i < merged.artWarmup)
  return scores
}
