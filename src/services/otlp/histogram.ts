// Explicit-bucket histograms as OTLP carries them: merged across attribute sets, turned from
// cumulative to per-interval counts, and read for quantiles by interpolating inside a bucket
// (what Prometheus' histogram_quantile does), bounded by the recorded min and max when given.

export interface Histogram {
  count: number
  sum: number
  bounds: number[]
  buckets: number[]
  min?: number | undefined
  max?: number | undefined
}

/** The counts added since `previous` of the same stream, or undefined when the stream restarted. */
export function since(current: Histogram, previous: Histogram): Histogram | undefined {
  if (current.count < previous.count || current.buckets.length !== previous.buckets.length) return undefined
  const buckets = current.buckets.map((count, i) => count - (previous.buckets[i] as number))
  if (buckets.some(count => count < 0)) return undefined
  // min and max are over the stream's whole life, so they no longer bound this interval.
  return { count: current.count - previous.count, sum: current.sum - previous.sum, bounds: current.bounds, buckets }
}

/** Adds `extra` into `into` when both use the same bounds; otherwise only count and sum. */
export function mergeInto(into: Histogram, extra: Histogram): void {
  const sameBounds =
    into.bounds.length === extra.bounds.length && into.bounds.every((bound, i) => bound === extra.bounds[i])
  into.count += extra.count
  into.sum += extra.sum
  if (sameBounds)
    extra.buckets.forEach((count, i) => {
      into.buckets[i] = (into.buckets[i] as number) + count
    })
  into.min = into.min === undefined || extra.min === undefined ? undefined : Math.min(into.min, extra.min)
  into.max = into.max === undefined || extra.max === undefined ? undefined : Math.max(into.max, extra.max)
}

export function quantile(histogram: Histogram, q: number): number | undefined {
  const total = histogram.buckets.reduce((sum, count) => sum + count, 0)
  if (total === 0) return undefined
  const rank = q * total
  let seen = 0
  for (let i = 0; i < histogram.buckets.length; i++) {
    const count = histogram.buckets[i] as number
    if (count === 0 || seen + count < rank) {
      seen += count
      continue
    }
    const lower = i === 0 ? Math.min(histogram.min ?? 0, histogram.bounds[0] ?? 0) : (histogram.bounds[i - 1] as number)
    const upper =
      i < histogram.bounds.length ? (histogram.bounds[i] as number) : Math.max(histogram.max ?? lower, lower)
    const within = lower + (upper - lower) * ((rank - seen) / count)
    return Math.min(Math.max(within, histogram.min ?? -Infinity), histogram.max ?? Infinity)
  }
  return histogram.bounds.at(-1)
}
