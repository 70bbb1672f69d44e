// When a resource that runs out (memory, disk, connections, an error budget) reaches its limit,
// forecast from its recent trend: a Theil–Sen line through the window, its level at the
// forecast's time from the median residual, and an interval for the crossing from Sen's slope
// interval widened by the noise around the line. Pure: the caller reads the points (event time)
// and decides what an alert is.
import { medianInPlace, normalCdf, theilSen, type TrendPoints } from './theil-sen.js'

export interface ExhaustionOptions {
  /** The limit the resource runs out at. */
  threshold: number
  /** The forecast's time: where the line is anchored (the newest points may lie before it). */
  at: number
  /** Two-sided normal quantile of the intervals (1.645: 90%). */
  zLevel: number
}

export interface ExhaustionForecast {
  /** Per unit of time of the points (per ms for epoch ms). */
  slope: number
  slopeLow: number
  slopeHigh: number
  /** The line's value at `at`. */
  level: number
  /** The robust spread (1.4826 MAD) of the points around the line. */
  noise: number
  /**
   * One-sided Mann–Kendall confidence that the series is rising: 0.5 for no trend, near 1 for a
   * clear rise, near 0 for a clear fall.
   */
  confidence: number
  /** Time until the line reaches the threshold: 0 when it already has, Infinity when it never will. */
  eta: number
  /** The earliest crossing the interval allows: the fast slope and the noise's upper band. */
  etaEarliest: number
  /** The latest: the slow slope and the lower band; Infinity when the slow slope is not rising. */
  etaLatest: number
  points: number
}

function timeTo(gap: number, slope: number): number {
  if (gap <= 0) return 0
  return slope > 0 ? gap / slope : Infinity
}

export function forecastExhaustion(points: TrendPoints, options: ExhaustionOptions): ExhaustionForecast | null {
  const trend = theilSen(points, options.zLevel)
  if (trend === null) return null
  const { t, v } = points
  const residuals = new Float64Array(trend.points)
  for (let i = 0; i < trend.points; i++) residuals[i] = (v[i] as number) - trend.slope * ((t[i] as number) - options.at)
  const level = medianInPlace(residuals)
  for (let i = 0; i < residuals.length; i++) residuals[i] = Math.abs((residuals[i] as number) - level)
  const noise = 1.4826 * medianInPlace(residuals)
  const gap = options.threshold - level
  const band = options.zLevel * noise
  return {
    slope: trend.slope,
    slopeLow: trend.slopeLow,
    slopeHigh: trend.slopeHigh,
    level,
    noise,
    confidence: normalCdf(trend.z),
    eta: timeTo(gap, trend.slope),
    etaEarliest: timeTo(gap - band, trend.slopeHigh),
    etaLatest: timeTo(gap + band, trend.slopeLow),
    points: trend.points
  }
}
