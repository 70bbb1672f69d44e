// Contextual novelty for the adaptive scorer, after the idea of Smirnov's Contextual Anomaly
// Detector (CAD OSE): values are quantised into a few levels, the recent sequence of levels forms
// contexts of several lengths, and a point is surprising to the degree that the contexts before it
// have never been followed by its level. It catches what a distance from a baseline cannot: a value
// inside the usual range arriving in an order the series has not shown before. Our own code from the
// published description; the range is learned online (running min/max plus a margin), never from
// the whole series.

export interface ContextParams {
  /** Quantisation levels; at most 30 so a context's followers fit one integer bit mask. */
  levels: number
  /** Longest context, in points. */
  maxOrder: number
  /** Share of the observed span added on each side, so a slightly new extreme keeps its level. */
  rangeMargin: number
  /** Contexts remembered at most; past it only known contexts learn, which bounds the state. */
  maxContexts: number
  /**
   * How many times the previous and the current level would have met by now if they followed each
   * other by chance, before their first meeting counts as a break on its own.
   */
  minSupport: number
}

export interface ContextState {
  /** Observed extremes, null before the first value. */
  min: number | null
  max: number | null
  /** The quantiser's range: the extremes widened by the margin, moved only when a value leaves it. */
  low: number
  high: number
  /** Points seen in each level. */
  levelCounts: number[]
  /** The last maxOrder levels, oldest first. */
  recent: number[]
  /** Context key to `times seen * 2^levels + bit mask of the levels seen right after it`. */
  followers: Record<string, number>
  size: number
  count: number
}

export interface Novelty {
  /** Share of the contexts that have never led to this level, in [0, 1]. */
  novelty: number
  /**
   * Whether this level (never seen before, or) never following the previous one is itself unlikely
   * by chance: in plain noise a rare level after another is new without breaking any pattern. The
   * expected number of chance meetings is (times the previous level was seen) * (share of points in
   * this level); a first meeting once that exceeds k has odds of about e^-k.
   */
  established: boolean
}

export function createContextState(): ContextState {
  return { min: null, max: null, low: 0, high: 0, levelCounts: [], recent: [], followers: {}, size: 0, count: 0 }
}

function level(state: ContextState, params: ContextParams, value: number, minLevelWidth: number): number {
  state.min = state.min === null ? value : Math.min(state.min, value)
  state.max = state.max === null ? value : Math.max(state.max, value)
  // The range moves only when a value leaves it: every move re-maps the levels the contexts were
  // learned in, so it must be rare once the metric's usual span has been seen.
  if (value < state.low || value > state.high || state.low === state.high) {
    const span = state.max - state.min
    const width = Math.max(span * (1 + 2 * params.rangeMargin), params.levels * minLevelWidth)
    // Half a level off centre, so a metric that has been constant sits in the middle of a level
    // and its tiny wobbles do not cross a boundary.
    state.low = (state.min + state.max) / 2 - width / 2 - width / (2 * params.levels)
    state.high = state.low + width
  }
  const at = Math.floor(((value - state.low) / (state.high - state.low)) * params.levels)
  return Math.min(Math.max(at, 0), params.levels - 1)
}

/**
 * The share of contexts (lengths 1..maxOrder) that have never been followed by this value's level,
 * in [0, 1]; an unseen context counts as not predicting it. The model then learns the point.
 * `minLevelWidth` is the narrowest a level may be (the scorer's spread floor), so a flat metric's
 * tiny changes stay in one level.
 */
export function contextNovelty(
  state: ContextState,
  params: ContextParams,
  value: number,
  minLevelWidth: number
): Novelty {
  const current = level(state, params, value, minLevelWidth)
  const bit = 1 << current
  const { recent } = state
  let code = 0
  let scale = 1
  const span = 2 ** params.levels
  let novel = 0
  let orders = 0
  let established = false
  for (let order = 1; order <= Math.min(params.maxOrder, recent.length); order++) {
    code += (recent[recent.length - order] as number) * scale
    scale *= params.levels
    const key = String(code * (params.maxOrder + 1) + order)
    const entry = state.followers[key]
    orders++
    if (entry === undefined) {
      novel++
      if (state.size < params.maxContexts) {
        state.followers[key] = span + bit
        state.size++
      }
      continue
    }
    const seen = Math.floor(entry / span)
    const mask = entry % span
    if ((mask & bit) === 0) novel++
    if (order === 1) {
      const inLevel = state.levelCounts[current] ?? 0
      established = (mask & bit) === 0 && (inLevel === 0 || (seen * inLevel) / state.count >= params.minSupport)
    }
    state.followers[key] = (seen + 1) * span + (mask | bit)
  }
  state.levelCounts[current] = (state.levelCounts[current] ?? 0) + 1
  state.count++
  recent.push(current)
  if (recent.length > params.maxOrder) recent.shift()
  return { novelty: orders === 0 ? 0 : novel / orders, established }
}
