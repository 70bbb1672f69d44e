// Medians and MADs of a history that is partly rolled up: each rolled-up hour is its 21 quantiles
// (0%, 5%, ..., 100%), read as a distribution whose CDF runs linearly between them, weighted by the
// events it holds; raw events are point masses. The mixture's CDF is within 5% in rank of the
// true one at every value (each hour's is, between two of its quantiles), and in practice much
// closer, because the hours' interpolation errors do not all lean the same way. The median and the
// MAD are then found by bisection on that CDF.

/** One hour (or part of one) of a metric: its quantile knots and how many events it stands for. */
export interface MixtureBucket {
  weight: number
  knots: Float64Array
}

export interface Mixture {
  buckets: MixtureBucket[]
  /** Raw values, ascending. */
  raw: Float64Array
}

const STEPS = 48

/** Index of the first value in `sorted` above `x` (`strict`: at or above `x`). */
function upperIndex(sorted: Float64Array, x: number, strict: boolean): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const value = sorted[mid] as number
    if (strict ? value < x : value <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** P(X <= x) for one bucket, or P(X < x) with `strict`; flat knots (repeated values) are point masses. */
function bucketCdf(knots: Float64Array, x: number, strict: boolean): number {
  const above = upperIndex(knots, x, strict)
  if (above === 0) return 0
  if (above === knots.length) return 1
  const below = above - 1
  const low = knots[below] as number
  const high = knots[above] as number
  return (below + (x - low) / (high - low)) / (knots.length - 1)
}

export function mixtureWeight(mixture: Mixture): number {
  let total = mixture.raw.length
  for (const bucket of mixture.buckets) total += bucket.weight
  return total
}

function cdf(mixture: Mixture, x: number, strict: boolean): number {
  let mass = upperIndex(mixture.raw, x, strict)
  for (const bucket of mixture.buckets) mass += bucket.weight * bucketCdf(bucket.knots, x, strict)
  return mass
}

function range(mixture: Mixture): [number, number] {
  let lo = mixture.raw.length > 0 ? (mixture.raw[0] as number) : Infinity
  let hi = mixture.raw.length > 0 ? (mixture.raw[mixture.raw.length - 1] as number) : -Infinity
  for (const { knots } of mixture.buckets) {
    lo = Math.min(lo, knots[0] as number)
    hi = Math.max(hi, knots[knots.length - 1] as number)
  }
  return [lo, hi]
}

/** The smallest x in [lo, hi] with test(x), for a test that turns true once and stays true. */
function bisect(lo: number, hi: number, test: (x: number) => boolean): number {
  if (test(lo)) return lo
  for (let step = 0; step < STEPS && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); step++) {
    const mid = (lo + hi) / 2
    if (test(mid)) hi = mid
    else lo = mid
  }
  return hi
}

export function mixtureMedian(mixture: Mixture): number {
  const half = mixtureWeight(mixture) / 2
  const [lo, hi] = range(mixture)
  if (!Number.isFinite(lo)) return NaN
  return bisect(lo, hi, x => cdf(mixture, x, false) >= half)
}

/** The median absolute deviation from `center`: the smallest d with half the mass within [center - d, center + d]. */
export function mixtureMad(mixture: Mixture, center: number): number {
  const half = mixtureWeight(mixture) / 2
  const [lo, hi] = range(mixture)
  if (!Number.isFinite(lo)) return NaN
  return bisect(
    0,
    Math.max(hi - center, center - lo, 0),
    d => cdf(mixture, center + d, false) - cdf(mixture, center - d, true) >= half
  )
}
