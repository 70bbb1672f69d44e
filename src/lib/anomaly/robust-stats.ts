// Small numeric helpers the adaptive scorer needs, kept apart so they can be tested on their own
// and reused by the benchmark: a sorted sliding window (for medians and quantiles in O(window)
// per point without re-sorting) and the normal tail probability (Node has no erfc).

/** Index of the first element >= value in an ascending array. */
export function lowerBound(sorted: number[], value: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((sorted[mid] as number) < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function insertSorted(sorted: number[], value: number): void {
  sorted.splice(lowerBound(sorted, value), 0, value)
}

export function removeSorted(sorted: number[], value: number): void {
  const at = lowerBound(sorted, value)
  if (sorted[at] === value) sorted.splice(at, 1)
}

/** Linear-interpolated quantile of an ascending array (numpy's default), q in [0, 1]. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  const position = (sorted.length - 1) * q
  const below = Math.floor(position)
  const low = sorted[below] as number
  const high = sorted[Math.min(below + 1, sorted.length - 1)] as number
  return low + (high - low) * (position - below)
}

/**
 * Complementary error function to double precision: the Maclaurin series of erf near zero and a
 * continued fraction in the tail, the split most libm implementations use.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN
  if (x < 0) return 2 - erfc(-x)
  if (x < 2.5) {
    let term = x
    let sum = x
    const x2 = x * x
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n
      const add = term / (2 * n + 1)
      sum += add
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break
    }
    return 1 - (sum * 2) / Math.sqrt(Math.PI)
  }
  if (x > 27) return 0
  // Lentz's method on erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
  const tiny = 1e-300
  let f = x
  let c = x
  let d = 0
  for (let n = 1; n < 500; n++) {
    const a = n / 2
    d = x + a * d
    d = d === 0 ? tiny : 1 / d
    c = x + a / c
    if (c === 0) c = tiny
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f
}

/** P(X > x) for a normal distribution: the Q-function. */
export function normalTail(x: number, mean: number, std: number): number {
  return 0.5 * erfc((x - mean) / (std * Math.SQRT2))
}
