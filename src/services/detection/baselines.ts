// What "normal" is for one metric of one component, from its history before the evaluation
// window: the median and the median absolute deviation (robust to the outliers an incident leaves
// in the history), a floor under the spread so a flat metric does not fire on a tiny change, the
// same time of day on past days when the metric follows a daily cycle, and nothing at all while
// the history is too short to say (warm-up).
import type { MetricRule } from './rules.js'
import type { DetectorSettings } from './settings.js'

export interface Point {
  /** Epoch milliseconds. */
  t: number
  v: number
}

export interface Baseline {
  value: number
  /** Robust standard deviation (1.4826 MAD), never below the floor. */
  spread: number
  method: 'median' | 'seasonal_median'
  /** History points the baseline rests on. */
  points: number
}

const DAY_MS = 86_400_000
// Scales the MAD to a standard deviation for normally distributed data.
const MAD_TO_SD = 1.4826

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

function mad (values: number[], center: number): number {
  return median(values.map((value) => Math.abs(value - center)))
}

/** Index of the first point at or after `t` in a time-ordered series. */
function firstAtOrAfter (points: Point[], t: number): number {
  let lo = 0
  let hi = points.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((points[mid] as Point).t < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

function spreadOf (values: number[], center: number, floor: number): number {
  return Math.max(MAD_TO_SD * mad(values, center), floor)
}

/**
 * The same-time-of-day baseline: the median over past days of each day's median in a slot around
 * `at`. It is preferred when it stands clearly apart from the overall median (by more than two of
 * its own spreads), which is what a daily cycle looks like; otherwise the two agree and the overall
 * one, resting on more points, is kept.
 */
function seasonal (history: Point[], at: number, floorFor: (center: number) => number, settings: DetectorSettings): { value: number, spread: number, points: number } | null {
  const half = settings.seasonalSlotMinutes * 30_000
  const dayMedians: number[] = []
  const slotValues: number[] = []
  const oldest = history[0]?.t ?? at
  for (let day = 1; at - day * DAY_MS + half >= oldest; day++) {
    const from = firstAtOrAfter(history, at - day * DAY_MS - half)
    const to = firstAtOrAfter(history, at - day * DAY_MS + half)
    if (to - from < 3) continue
    const values = history.slice(from, to).map((point) => point.v)
    dayMedians.push(median(values))
    slotValues.push(...values)
  }
  if (dayMedians.length < settings.seasonalMinDays) return null
  const value = median(dayMedians)
  return { value, spread: spreadOf(slotValues, value, floorFor(value)), points: slotValues.length }
}

/** The baseline for a window centred on `at`, or null during warm-up. `history` is time-ordered. */
export function robustBaseline (history: Point[], at: number, rule: MetricRule, settings: DetectorSettings): Baseline | null {
  if (history.length < settings.minHistoryPoints) return null
  const floorFor = (center: number): number => Math.max(rule.spreadFloor, settings.relativeSpreadFloor * Math.abs(center))
  const values = history.map((point) => point.v)
  const value = median(values)
  const overall: Baseline = { value, spread: spreadOf(values, value, floorFor(value)), method: 'median', points: values.length }
  const daily = seasonal(history, at, floorFor, settings)
  if (daily !== null && Math.abs(daily.value - overall.value) > 2 * daily.spread) return { ...daily, method: 'seasonal_median' }
  return overall
}
