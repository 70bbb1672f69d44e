// Streaming adaptive anomaly score for one metric of one component, the detector's answer to
// deviations no fixed threshold names. It sees one value at a time, never the future and never the
// series' range, and keeps everything it knows in a plain JSON-safe state, so the detector can
// hold one per component and metric and persist it between runs. The same code is what the NAB
// benchmark (bench/nab) measures.
import { cadAnomaly, createCadState, type CadParams, type CadState } from './cad-detector.js'
import { contextNovelty, createContextState, type ContextState } from './context-detector.js'
import { insertSorted, normalTail, quantile, removeSorted } from './robust-stats.js'
import { DAY_MS } from '../time.js'

export interface ScorerParams extends CadParams {
  /** Values (and per-predictor errors) kept for the robust baseline. */
  historySize: number
  /** Points seen before any score other than 0 is given. */
  warmup: number
  /** Lower bound on spread as a fraction of the baseline, so flat metrics ignore tiny changes. */
  relativeSpreadFloor: number
  /** Lower bound on spread in the metric's own unit, for metrics flat at zero. */
  absoluteSpreadFloor: number
  /** Points averaged before the likelihood test: one odd point weighs less than a run of them. */
  averagingWindow: number
  /** Averaged surprises kept to judge how unusual the current one is. */
  likelihoodWindow: number
  /** Points after a detection over which the score is damped back from zero. */
  suppression: number
  /**
   * Days a detection damps for at most, once the sampling interval is known (0: no limit): one
   * incident still pages once, but a metric sampled hourly is not silenced for 300 hours (12 days)
   * after it, through the next incident.
   */
  suppressionDays: number
  /** Score at or above which a point counts as a detection for suppression. */
  detectionLevel: number
  /** Deviation (in robust standard deviations) that maps to a surprise of about 0.68. */
  zScale: number
  /** Same-time-of-day values, one per past day, the seasonal baseline is the median of. */
  seasonalDays: number
  /** The seasonal baseline is used when its typical error is below this share of the spread. */
  seasonalPreference: number
  /**
   * Same-time-of-week values, one per past week, a weekly baseline is the median of (0: none). It
   * needs two past weeks in the history and competes with the daily one on its running error.
   */
  weeklyWeeks: number
  /** Quantisation levels of the context model (at most 30). */
  levels: number
  /** Longest context of the context model, in points. */
  maxOrder: number
  /** Share of the observed span the context model's range extends beyond each extreme. */
  rangeMargin: number
  /** Contexts the context model remembers at most: the bound on its share of the state. */
  maxContexts: number
  /** Times the previous level must have been seen before a level it never led to fires alone. */
  minSupport: number
  /** How strongly context novelty sharpens the likelihood (0 turns the sharpening off). */
  contextWeight: number
  /** CAD anomaly at or above which a point starts CAD's rest period. */
  cadBaseThreshold: number
  /** Points after a CAD anomaly at or above the base threshold in which CAD reports nothing. */
  cadRestPeriod: number
  /** Decades of likelihood per unit of CAD anomaly above 0.5: puts CAD on the likelihood's scale. */
  cadScale: number
  /** Deviation (in spreads) a point needs before CAD's report counts. */
  cadMinZ: number
  /**
   * CAD reports per scored point expected of a metric CAD has learned. Where CAD reports more often
   * than this, each report is that many times less surprising (its tail probability is multiplied
   * by the excess), as a test repeated more often must be.
   */
  cadExpectedRate: number
}

export const DEFAULT_PARAMS: Readonly<ScorerParams> = Object.freeze({
  historySize: 3000,
  warmup: 150,
  relativeSpreadFloor: 0.01,
  absoluteSpreadFloor: 1e-6,
  averagingWindow: 10,
  likelihoodWindow: 3000,
  suppression: 300,
  suppressionDays: 1.5,
  detectionLevel: 0.9999,
  zScale: 10,
  seasonalDays: 7,
  seasonalPreference: 0.7,
  weeklyWeeks: 8,
  levels: 8,
  maxOrder: 7,
  rangeMargin: 0.2,
  maxContexts: 2000,
  minSupport: 5,
  contextWeight: 1,
  cadValueBits: 3,
  cadMaxLeftFacts: 7,
  cadActiveNeurons: 15,
  cadMaxContexts: 5000,
  cadRebuildPoints: 500,
  cadHysteresis: 0.1,
  cadBaseThreshold: 0.75,
  cadRestPeriod: 30,
  cadScale: 20,
  cadMinZ: 2,
  cadExpectedRate: 0.001
})

const INTERVAL_SAMPLES = 20
// A metric that has been perfectly flat has no spread of surprises at all; without a floor the
// first tiny wobble would look infinitely unlikely. 0.01 is a tenth of the average surprise of a
// single point one spread off, far below anything real data shows (NAB's series are unaffected).
const LIKELIHOOD_STD_FLOOR = 0.01

/**
 * Everything the scorer knows about one metric. With the defaults it is bounded at about 1 MB of
 * JSON: seven windows of up to 3000 numbers (history, daily and weekly errors, averaged surprises
 * and three sorted copies, about 420 KB), at most 2000 contexts of the context model (about 30 KB) and at
 * most 5000 CAD contexts with their semi-contexts (measured at about 210 KB once full; each left
 * semi-context holds at most 3 + 15 facts, so never above about 600 KB).
 */
export interface ScorerState {
  params: ScorerParams
  count: number
  lastTime: number | null
  /** The first gaps between points; their median fixes the sampling interval. */
  intervals: number[]
  /** Points per day once the interval is known, 0 while unknown or when under 4. */
  period: number
  history: number[]
  sorted: number[]
  seasonalErrors: number[]
  seasonalSorted: number[]
  weeklyErrors: number[]
  weeklySorted: number[]
  averages: number[]
  averagesSum: number
  averagesSumSq: number
  recent: number[]
  recentSum: number
  sinceDetection: number
  context: ContextState
  cad: CadState
  /** Points since CAD's anomaly last reached its base threshold, capped at the rest period. */
  cadQuiet: number
  /** Points CAD has scored since warm-up, and the episodes it reported among them. */
  cadScored: number
  cadReports: number
}

export interface ScoreResult {
  /** Anomaly score in [0, 1]: the likelihood that recent behaviour departs from the history. */
  score: number
  /** This point's surprise in [0, 1] before averaging and likelihood. */
  surprise: number
  /** Share of the recent contexts that have never led to this point's level, in [0, 1]. */
  novelty: number
  /** The contextual anomaly detector's raw anomaly in [0, 1] (0 while it is off or learning). */
  cad: number
  /** What the value was expected to be (seasonal or overall median). */
  baseline: number
  /** The robust spread the deviation was measured in. */
  spread: number
  /** Signed deviation from the baseline in spreads. */
  z: number
  seasonal: boolean
  /** False during warm-up: the score is then 0 and means nothing. */
  warm: boolean
}

export function createScorerState(params: Partial<ScorerParams> = {}): ScorerState {
  const merged = { ...DEFAULT_PARAMS, ...params }
  return {
    params: merged,
    count: 0,
    lastTime: null,
    intervals: [],
    period: 0,
    history: [],
    sorted: [],
    seasonalErrors: [],
    seasonalSorted: [],
    weeklyErrors: [],
    weeklySorted: [],
    averages: [],
    averagesSum: 0,
    averagesSumSq: 0,
    recent: [],
    recentSum: 0,
    sinceDetection: merged.suppression,
    context: createContextState(),
    cad: createCadState(),
    cadQuiet: 0,
    cadScored: 0,
    cadReports: 0
  }
}

function median(values: number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5
  )
}

function learnPeriod(state: ScorerState, timestampMs: number): void {
  if (state.lastTime !== null && state.intervals.length < INTERVAL_SAMPLES && timestampMs > state.lastTime) {
    state.intervals.push(timestampMs - state.lastTime)
    const points = Math.round(DAY_MS / median(state.intervals))
    state.period = points >= 4 ? points : 0
  }
  state.lastTime = timestampMs
}

function pushBounded(values: number[], sorted: number[], value: number, size: number): void {
  values.push(value)
  insertSorted(sorted, value)
  if (values.length > size) removeSorted(sorted, values.shift() as number)
}

interface Deviation {
  /** The least spread this metric is allowed, from the spread floors. */
  floor: number
  baseline: number
  spread: number
  z: number
  seasonal: boolean
}

/** The median of the values `lag`, 2 `lag`, ... up to `count` lags back (the history holds one). */
function sameTimeMedian(history: number[], lag: number, count: number): number {
  const sameTime: number[] = []
  for (let back = 1; back <= count && back * lag <= history.length; back++)
    sameTime.push(history[history.length - back * lag] as number)
  return median(sameTime)
}

/**
 * A seasonal baseline replaces `current` when its typical error (from its own running errors) is
 * below `preference` of current's spread: whichever seasonal predictor has erred least wins.
 */
function preferSeasonal(
  current: Deviation,
  errorsSorted: number[],
  expected: number,
  value: number,
  preference: number
): Deviation {
  if (errorsSorted.length < 10) return current
  const spread = Math.max(quantile(errorsSorted, 0.5) * 1.4826, current.floor)
  const limit = current.seasonal ? current.spread : current.spread * preference
  if (!(spread < limit)) return current
  return { floor: current.floor, baseline: expected, spread, z: (value - expected) / spread, seasonal: true }
}

/**
 * The deviation of `value` from what the history expects. The overall median and IQR are the
 * default; once a day of history exists, the median of the same time on past days is a second
 * candidate, and it is trusted only while its own typical error (median absolute error) is clearly
 * below the overall spread, i.e. while the metric really follows a daily cycle. With two weeks of
 * history (the period comes from the timestamps), the median of the same time of week is a third,
 * preferred over the daily one while it has erred less: a metric whose weekends differ from its
 * weekdays has a daily baseline that is wrong twice a week, which hides a holiday that looks like
 * a Sunday.
 */
function deviation(state: ScorerState, value: number): Deviation {
  const p = state.params
  const center = quantile(state.sorted, 0.5)
  const iqr = quantile(state.sorted, 0.75) - quantile(state.sorted, 0.25)
  const floor = Math.max(p.relativeSpreadFloor * Math.abs(center), p.absoluteSpreadFloor)
  const spread = Math.max(iqr / 1.349, floor)
  let result: Deviation = { floor, baseline: center, spread, z: (value - center) / spread, seasonal: false }
  const { history, period } = state
  if (period > 0 && history.length >= period) {
    const expected = sameTimeMedian(history, period, p.seasonalDays)
    result = preferSeasonal(result, state.seasonalSorted, expected, value, p.seasonalPreference)
    pushBounded(state.seasonalErrors, state.seasonalSorted, Math.abs(value - expected), p.historySize)
  }
  const week = period * 7
  if (p.weeklyWeeks > 0 && week > 0 && history.length >= 2 * week) {
    const expected = sameTimeMedian(history, week, p.weeklyWeeks)
    result = preferSeasonal(result, state.weeklySorted, expected, value, p.seasonalPreference)
    pushBounded(state.weeklyErrors, state.weeklySorted, Math.abs(value - expected), p.historySize)
  }
  return result
}

/**
 * Numenta's anomaly likelihood, on robust deviations instead of HTM prediction errors: the short
 * average of surprises is compared with the Gaussian fitted to its own history, so a metric that
 * is always a little noisy is judged against its noise, and a sustained shift scores higher than a
 * single outlier of the same size.
 */
function likelihood(state: ScorerState, average: number): number {
  const n = state.averages.length
  if (n < 10) return 0
  const mean = state.averagesSum / n
  const std = Math.max(Math.sqrt(Math.max(state.averagesSumSq / n - mean * mean, 0)), LIKELIHOOD_STD_FLOOR)
  return 1 - normalTail(average, mean, std)
}

/**
 * CAD OSE's output rule, then the likelihood's scale: CAD reports a point only when no anomaly of
 * the rest period before it reached the base threshold (the start of an episode, not its length),
 * and an anomaly a above 0.5 reads as a tail probability of 10^(-cadScale * (a - 0.5)). That fixed
 * reading means the same in every metric only if CAD reports about as often in each; in a metric
 * whose order CAD cannot learn (noise) it reports far more often, so the tail probability is
 * multiplied by how many times more often than cadExpectedRate CAD has reported so far. A metric
 * CAD has learned keeps the fixed reading; CAD's very first reports, with little evidence of its
 * rate yet, count less.
 */
function cadScore(state: ScorerState, cad: number, warm: boolean): number {
  const p = state.params
  const episode = state.cadQuiet >= p.cadRestPeriod
  if (warm) {
    state.cadScored++
    if (episode && cad >= p.cadBaseThreshold) state.cadReports++
  }
  state.cadQuiet = cad >= p.cadBaseThreshold ? 0 : Math.min(state.cadQuiet + 1, p.cadRestPeriod)
  if (!episode || cad <= 0.5) return 0
  const excess = Math.max(1, state.cadReports / Math.max(state.cadScored, 1) / p.cadExpectedRate)
  return 1 - Math.min(1, Math.pow(10, -p.cadScale * (cad - 0.5)) * excess)
}

/** Points a detection damps for: `suppression`, or `suppressionDays` of the learned period if fewer. */
function suppressionLength(state: ScorerState): number {
  const p = state.params
  if (!(p.suppressionDays > 0 && state.period > 0)) return p.suppression
  return Math.min(p.suppression, Math.max(1, Math.round(state.period * p.suppressionDays)))
}

/** Scores `value` observed at `timestampMs`, then learns from it. Non-finite values are ignored. */
export function scoreNext(state: ScorerState, value: number, timestampMs: number): ScoreResult {
  const p = state.params
  if (!Number.isFinite(value))
    return { score: 0, surprise: 0, novelty: 0, cad: 0, baseline: NaN, spread: NaN, z: 0, seasonal: false, warm: false }
  state.count++
  learnPeriod(state, timestampMs)
  let result: ScoreResult = {
    score: 0,
    surprise: 0,
    novelty: 0,
    cad: 0,
    baseline: value,
    spread: 0,
    z: 0,
    seasonal: false,
    warm: false
  }
  if (state.history.length >= 2) {
    const dev = deviation(state, value)
    const { novelty, established } = contextNovelty(state.context, p, value, dev.floor)
    const surprise = 1 - 2 * normalTail(Math.abs(dev.z) / p.zScale, 0, 1)
    state.recent.push(surprise)
    state.recentSum += surprise
    if (state.recent.length > p.averagingWindow) state.recentSum -= state.recent.shift() as number
    const average = state.recentSum / state.recent.length

    const warm = state.count > p.warmup
    let score = warm ? likelihood(state, average) : 0
    // A level after a context that has never led to it, at every context length, is a pattern
    // break in its own right; partial novelty sharpens the likelihood instead of replacing it, so
    // a deviation that also arrives in an unfamiliar order outranks one that does not.
    if (warm) score = novelty >= 1 && established ? 1 : 1 - Math.pow(1 - score, 1 + p.contextWeight * novelty)
    // One incident should page once: right after a detection the score climbs back from zero.
    const suppression = suppressionLength(state)
    if (state.sinceDetection < suppression) score *= state.sinceDetection / suppression
    state.sinceDetection = score >= p.detectionLevel ? 0 : Math.min(state.sinceDetection + 1, suppression)
    // CAD is a second opinion on the order of values; its report counts where the value is also
    // somewhat off, since an unusual order of ordinary values is rarely an incident (and in plain
    // noise CAD keeps meeting new orders).
    const cad = p.cadMaxContexts > 0 ? cadAnomaly(state.cad, p, value, state.history, dev.floor, !warm) : 0
    const reported = cadScore(state, cad, warm)
    if (Math.abs(dev.z) >= p.cadMinZ) score = Math.max(score, reported)

    state.averages.push(average)
    state.averagesSum += average
    state.averagesSumSq += average * average
    if (state.averages.length > p.likelihoodWindow) {
      const old = state.averages.shift() as number
      state.averagesSum -= old
      state.averagesSumSq -= old * old
    }
    result = {
      score,
      surprise,
      novelty,
      cad,
      baseline: dev.baseline,
      spread: dev.spread,
      z: dev.z,
      seasonal: dev.seasonal,
      warm
    }
  }
  pushBounded(state.history, state.sorted, value, p.historySize)
  return result
}

/** Scores a whole series in order with a fresh state: what the benchmark and backtests use. */
export function scoreSeries(
  values: ArrayLike<number>,
  timestampsMs: ArrayLike<number>,
  params: Partial<ScorerParams> = {}
): Float64Array {
  const state = createScorerState(params)
  const scores = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++)
    scores[i] = scoreNext(state, values[i] as number, timestampsMs[i] as number).score
  return scores
}
