// A robust linear trend over irregularly spaced points: the Theil–Sen slope (the median of every
// pairwise slope) with Sen's distribution-free confidence interval, and the Mann–Kendall test of
// whether the series rises at all. Both rest on ranks, not on the size of the deviations, so a
// spike or a dropped sample moves them by one pair among hundreds where least squares would
// swing the whole line; and neither assumes normal noise, which a resource counter rarely has.

export interface TrendPoints {
  /** Times, ascending (any unit; slopes come out per that unit). */
  t: ArrayLike<number>
  v: ArrayLike<number>
}

export interface Trend {
  /** The median pairwise slope. */
  slope: number
  /** Sen's interval for the slope at the requested level. */
  slopeLow: number
  slopeHigh: number
  /** The Mann–Kendall statistic standardised (continuity-corrected); positive: rising. */
  z: number
  points: number
}

/** The median of `values`, which it sorts in place. */
export function medianInPlace(values: Float64Array | number[]): number {
  if (values.length === 0) return NaN
  values.sort((a, b) => a - b)
  const mid = values.length >> 1
  return values.length % 2 === 1 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2
}

/** Var(S) of Mann–Kendall with the correction for tied values (integer counters tie often). */
function kendallVariance(v: ArrayLike<number>, n: number): number {
  const sorted = Float64Array.from({ length: n }, (_, i) => v[i] as number).sort()
  let ties = 0
  for (let i = 0; i < n;) {
    let j = i + 1
    while (j < n && sorted[j] === sorted[i]) j++
    const size = j - i
    ties += size * (size - 1) * (2 * size + 5)
    i = j
  }
  return (n * (n - 1) * (2 * n + 5) - ties) / 18
}

/**
 * The trend of `points` with its slope interval at two-sided normal quantile `zLevel` (1.645 for
 * 90%). Null with fewer than three points or no two distinct times.
 */
export function theilSen(points: TrendPoints, zLevel: number): Trend | null {
  const { t, v } = points
  const n = Math.min(t.length, v.length)
  if (n < 3) return null
  const slopes = new Float64Array((n * (n - 1)) / 2)
  let count = 0
  let s = 0
  for (let i = 0; i < n - 1; i++) {
    const ti = t[i] as number
    const vi = v[i] as number
    for (let j = i + 1; j < n; j++) {
      const dv = (v[j] as number) - vi
      s += Math.sign(dv)
      const dt = (t[j] as number) - ti
      if (dt > 0) slopes[count++] = dv / dt
    }
  }
  if (count === 0) return null
  const ordered = slopes.subarray(0, count).sort()
  const slope =
    count % 2 === 1
      ? (ordered[count >> 1] as number)
      : ((ordered[(count >> 1) - 1] as number) + (ordered[count >> 1] as number)) / 2
  const variance = kendallVariance(v, n)
  const spread = zLevel * Math.sqrt(variance)
  // Sen (1968): the interval's ends are the slopes ranked (N -/+ C) / 2 from the bottom.
  const low = Math.max(0, Math.floor((count - spread) / 2))
  const high = Math.min(count - 1, Math.ceil((count + spread) / 2))
  const z = variance > 0 ? (s - Math.sign(s)) / Math.sqrt(variance) : 0
  return { slope, slopeLow: ordered[low] as number, slopeHigh: ordered[high] as number, z, points: n }
}

/**
 * The standard normal distribution function, by Abramowitz and Stegun's 7.1.26 (absolute error
 * under 1.5e-7): plenty for a confidence reported to two decimals.
 */
export function normalCdf(x: number): number {
  const u = Math.abs(x) / Math.SQRT2
  const k = 1 / (1 + 0.3275911 * u)
  const poly = k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429))))
  const erf = 1 - poly * Math.exp(-u * u)
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2
}
