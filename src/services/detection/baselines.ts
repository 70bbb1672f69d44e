// What "normal" is for one metric of one component, from its history before the evaluation
// window: the median and the median absolute deviation (robust to the outliers an incident leaves
// in the history), a floor under the spread so a flat metric does not fire on a tiny change, the
// same time of day on past days when the metric follows a daily cycle, and nothing at all while
// the history is too short to say (warm-up). A history that is partly rolled up into hours gives
// the same statistics from the hours' quantiles (mixture.ts), within that module's tolerance.
import {
  mixtureMad,
  mixtureMedian,
  mixtureWeight,
  type Mixture,
  type MixtureBucket
} from '../../lib/anomaly/mixture.js'
import type { MetricRule } from './rules.js'
import type { DetectorSettings } from './settings.js'
import { DAY_MS } from '../../lib/time.js'

export interface Point {
  /** Epoch milliseconds. */
  t: number
  v: number
}

/** Points as two parallel arrays, oldest first: a long history without an object per point. */
export interface Points {
  t: Float64Array
  v: Float64Array
}

/** One rolled-up hour of a metric, as far as it lies inside the lookback. */
export interface RolledHour {
  /** The part of the hour inside the lookback, epoch ms: [from, to). */
  from: number
  to: number
  /** When its last event was recorded. */
  lastAt: number
  /** The events it stands for: its count, times the share of the hour inside the lookback. */
  weight: number
  /** Its 21 quantiles, ascending; the last is its maximum. */
  knots: Float64Array
}

export interface Baseline {
  value: number
  /** Robust standard deviation (1.4826 MAD), never below the floor. */
  spread: number
  method: 'median' | 'seasonal_median'
  /** History points the baseline rests on. */
  points: number
}

// Scales the MAD to a standard deviation for normally distributed data.
const MAD_TO_SD = 1.4826

/** Swaps values[k] into the place it would have if `values` were sorted (Hoare's selection). */
function select(values: Float64Array, k: number, from: number, to: number): void {
  let lo = from
  let hi = to
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1] as number
    let i = lo
    let j = hi
    while (i <= j) {
      while ((values[i] as number) < pivot) i++
      while ((values[j] as number) > pivot) j--
      if (i <= j) {
        const swap = values[i] as number
        values[i++] = values[j] as number
        values[j--] = swap
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return
  }
}

// Medians run for every metric of every component on every run: they select in one reused
// buffer instead of sorting a fresh copy. The evaluation is synchronous, so nothing shares it.
let scratch = new Float64Array(2048)

function scratchFor(length: number): Float64Array {
  if (scratch.length < length) scratch = new Float64Array(Math.max(length, 2 * scratch.length))
  return scratch
}

/** The median of the first `length` values of `work`, which it reorders. */
function medianInPlace(work: Float64Array, length: number): number {
  if (length === 0) return NaN
  const mid = length >> 1
  select(work, mid, 0, length - 1)
  const upper = work[mid] as number
  if (length % 2 === 1) return upper
  // Everything before mid is now at most the upper middle value; the lower one is their maximum.
  let lower = work[0] as number
  for (let i = 1; i < mid; i++) if ((work[i] as number) > lower) lower = work[i] as number
  return (lower + upper) / 2
}

export function median(values: ArrayLike<number>): number {
  const work = scratchFor(values.length)
  for (let i = 0; i < values.length; i++) work[i] = values[i] as number
  return medianInPlace(work, values.length)
}

function mad(values: ArrayLike<number>, center: number): number {
  const work = scratchFor(values.length)
  for (let i = 0; i < values.length; i++) work[i] = Math.abs((values[i] as number) - center)
  return medianInPlace(work, values.length)
}

/** Index of the first time at or after `t` in ascending `times`. */
function firstAtOrAfter(times: Float64Array, t: number): number {
  let lo = 0
  let hi = times.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((times[mid] as number) < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The least spread: the metric's own floor (a few milliseconds are no latency incident), or 5% of
 * the baseline for a large one. A metric with a relative rule that sits far below the scale its
 * floor was set for (a latency of 1 ms, an error rate of 0.1%, a few requests a minute) would need
 * to move many times over to clear 4 floors, so there the floor gives way to the spread at which
 * adaptiveMinZ spreads are the relative rule's move (twice the baseline: a quarter of it; half of
 * it: an eighth): such a metric is judged by how much it moves relative to itself, as the seed's
 * relative rule judges it.
 */
function floorFor(center: number, rule: MetricRule, settings: DetectorSettings): number {
  const scale = Math.abs(center)
  const ruleMove =
    rule.baselineFactor === null
      ? null
      : rule.direction === 'up'
        ? rule.baselineFactor - 1
        : 1 - 1 / rule.baselineFactor
  const absolute =
    ruleMove === null || scale === 0
      ? rule.spreadFloor
      : Math.min(rule.spreadFloor, (ruleMove * scale) / settings.adaptiveMinZ)
  return Math.max(absolute, settings.relativeSpreadFloor * scale)
}

function spreadOf(values: ArrayLike<number>, center: number, floor: number): number {
  return Math.max(MAD_TO_SD * mad(values, center), floor)
}

/**
 * Past days whose same-time-of-day slot around `at` reaches back into a history starting at
 * `oldest`. With fewer than seasonalMinDays of them no seasonal baseline can exist, and the slots
 * are not looked at: with the default day of lookback that is every run.
 */
function possibleDays(at: number, half: number, oldest: number): number {
  return Math.max(0, Math.floor((at + half - oldest) / DAY_MS))
}

/**
 * The same-time-of-day baseline: the median over past days of each day's median in a slot around
 * `at`. It is preferred when it stands clearly apart from the overall median (by more than two of
 * its own spreads), which is what a daily cycle looks like; otherwise the two agree and the overall
 * one, resting on more points, is kept.
 */
function seasonal(
  history: Points,
  at: number,
  rule: MetricRule,
  settings: DetectorSettings
): { value: number; spread: number; points: number } | null {
  const half = settings.seasonalSlotMinutes * 30_000
  const dayMedians: number[] = []
  const slotValues: number[] = []
  const oldest = history.t.length > 0 ? (history.t[0] as number) : at
  const days = possibleDays(at, half, oldest)
  if (days < settings.seasonalMinDays) return null
  for (let day = 1; day <= days; day++) {
    const from = firstAtOrAfter(history.t, at - day * DAY_MS - half)
    const to = firstAtOrAfter(history.t, at - day * DAY_MS + half)
    if (to - from < 3) continue
    const values = history.v.subarray(from, to)
    dayMedians.push(median(values))
    for (const value of values) slotValues.push(value)
  }
  if (dayMedians.length < settings.seasonalMinDays) return null
  const value = median(dayMedians)
  return { value, spread: spreadOf(slotValues, value, floorFor(value, rule, settings)), points: slotValues.length }
}

/** The raw points in [from, to) and the rolled-up hours in proportion to their overlap with it. */
function mixtureOver(history: Points, rolled: RolledHour[], from: number, to: number): Mixture {
  const buckets: MixtureBucket[] = []
  for (const hour of rolled) {
    const overlap = Math.min(hour.to, to) - Math.max(hour.from, from)
    if (overlap > 0) buckets.push({ weight: (hour.weight * overlap) / (hour.to - hour.from), knots: hour.knots })
  }
  const raw = history.v.slice(firstAtOrAfter(history.t, from), firstAtOrAfter(history.t, to)).sort()
  return { buckets, raw }
}

function mergeMixtures(mixtures: Mixture[]): Mixture {
  return {
    buckets: mixtures.flatMap(mixture => mixture.buckets),
    raw: Float64Array.from(mixtures.flatMap(mixture => [...mixture.raw])).sort()
  }
}

/** robustBaseline for a history whose older part is rolled up into hours. */
function rolledBaseline(
  history: Points,
  rolled: RolledHour[],
  at: number,
  rule: MetricRule,
  settings: DetectorSettings
): Baseline | null {
  const all = mixtureOver(history, rolled, -Infinity, Infinity)
  const points = mixtureWeight(all)
  if (points < settings.minHistoryPoints) return null
  const value = mixtureMedian(all)
  const overall: Baseline = {
    value,
    spread: Math.max(MAD_TO_SD * mixtureMad(all, value), floorFor(value, rule, settings)),
    method: 'median',
    points: Math.round(points)
  }
  const half = settings.seasonalSlotMinutes * 30_000
  const oldest = Math.min(rolled[0]?.from ?? at, history.t.length > 0 ? (history.t[0] as number) : at)
  const days = possibleDays(at, half, oldest)
  if (days < settings.seasonalMinDays) return overall
  const dayMedians: number[] = []
  const slots: Mixture[] = []
  for (let day = 1; day <= days; day++) {
    const slot = mixtureOver(history, rolled, at - day * DAY_MS - half, at - day * DAY_MS + half)
    if (mixtureWeight(slot) < 3) continue
    dayMedians.push(mixtureMedian(slot))
    slots.push(slot)
  }
  if (dayMedians.length < settings.seasonalMinDays) return overall
  const daily = median(dayMedians)
  const slotMixture = mergeMixtures(slots)
  const dailySpread = Math.max(MAD_TO_SD * mixtureMad(slotMixture, daily), floorFor(daily, rule, settings))
  if (Math.abs(daily - overall.value) > 2 * dailySpread)
    return {
      value: daily,
      spread: dailySpread,
      method: 'seasonal_median',
      points: Math.round(mixtureWeight(slotMixture))
    }
  return overall
}

/** The baseline for a window centred on `at`, or null during warm-up. */
export function robustBaseline(
  history: Points,
  at: number,
  rule: MetricRule,
  settings: DetectorSettings,
  rolled: RolledHour[] = []
): Baseline | null {
  if (rolled.length > 0) return rolledBaseline(history, rolled, at, rule, settings)
  if (history.v.length < settings.minHistoryPoints) return null
  const value = median(history.v)
  const overall: Baseline = {
    value,
    spread: spreadOf(history.v, value, floorFor(value, rule, settings)),
    method: 'median',
    points: history.v.length
  }
  const daily = seasonal(history, at, rule, settings)
  if (daily !== null && Math.abs(daily.value - overall.value) > 2 * daily.spread)
    return { ...daily, method: 'seasonal_median' }
  return overall
}
