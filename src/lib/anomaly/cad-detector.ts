// Contextual Anomaly Detector after Smirnov's published description of CAD OSE (the NAB entry
// "contextOSE"), written here from that description. Each value becomes a few "facts" (the bits of
// its level in the learned range); a context is a pair of semi-contexts: the left one, facts of
// the previous step (the value's facts plus the contexts that were active, the "neurons"), and the
// right one, facts of the current value. Contexts whose left half is present predict their right
// half; the anomaly is high when few of the predicting contexts came true and the step created
// mostly new contexts. It learns the order of values rather than their distance from a baseline.
// CAD OSE is handed the file's minimum and maximum; a stream cannot know them, so the range here is
// the running one, and when a value leaves it the model is rebuilt from the recent values under
// the new range (see cadAnomaly). Memory is bounded by cadMaxContexts: once full, only existing
// contexts learn.

export interface CadParams {
  /** Bits a value's level is written in: 2^bits - 1 level steps span the learned range. */
  cadValueBits: number
  /** Longest left semi-context a derived (crossed) context may have. */
  cadMaxLeftFacts: number
  /** Most-used active contexts that become facts of the next left semi-context. */
  cadActiveNeurons: number
  /** Contexts remembered at most; past it no context, and no semi-context, is added. */
  cadMaxContexts: number
  /** Recent values the model is rebuilt from when the range moves. */
  cadRebuildPoints: number
  /** How far (as a share of the range) a value must leave the range to move it. */
  cadHysteresis: number
}

interface Side {
  /** Sorted facts of each semi-context, joined by ',', to its id. */
  ids: Record<string, number>
  facts: number[][]
  /** Fact to the ids of the semi-contexts holding it. */
  byFact: Record<string, number[]>
  /** Largest fact to the ids of the semi-contexts whose largest fact it is: finds whole matches fast. */
  byTop: Record<string, number[]>
  /** Facts each semi-context shared with the last facts it was crossed with. */
  crossCount: number[]
  /** Ids with a non-zero crossCount. */
  crossed: number[]
}

/** The contexts learned under one range. */
export interface CadModel {
  /** Facts of the previous step: its value's facts and its active contexts as neuron facts. */
  leftGroup: number[]
  left: Side
  right: Side
  /** Per left semi-context: the right semi-contexts it forms contexts with, and those contexts. */
  followerRights: number[][]
  followerContexts: number[][]
  /** Per left semi-context: 1 once one of its contexts was a whole step's (only those propose new ones). */
  leftZeroLevel: number[]
  /** Per context: times its prediction came true, and whether it was ever a whole step's context. */
  hits: number[]
  zeroLevel: number[]
  /** Context created by this step's zero-level pair, which must not count as predicting it. */
  newContext: number
}

export interface CadState {
  /** Extremes of every value seen, null before the first. */
  min: number | null
  max: number | null
  /** The range levels are cut from; the model was learned under it. */
  low: number
  high: number
  /** False until the model has been built once, after the caller's learning period. */
  built: boolean
  model: CadModel
}

export interface CadStep {
  /** Share of the contexts predicting this step whose prediction came true, in [0, 1]. */
  confirmed: number
  /** Share of this step's candidate contexts that were new, in [0, 1]. */
  novel: number
  /** CAD's raw anomaly, (1 - confirmed + novel) / 2, in [0, 1]. */
  anomaly: number
}

// Neuron facts are numbered past every value fact (value facts are bit * 2 + 0 or 1).
const NEURON_BASE = 64

function createSide(): Side {
  return { ids: {}, facts: [], byFact: {}, byTop: {}, crossCount: [], crossed: [] }
}

export function createCadModel(): CadModel {
  return {
    leftGroup: [],
    left: createSide(),
    right: createSide(),
    followerRights: [],
    followerContexts: [],
    leftZeroLevel: [],
    hits: [],
    zeroLevel: [],
    newContext: -1
  }
}

export function createCadState(): CadState {
  return { min: null, max: null, low: 0, high: 0, built: false, model: createCadModel() }
}

/**
 * The value's level in [low, high], 2^bits - 1 steps wide as in CAD OSE (only the top of the range
 * reaches the last level), written as facts: for each bit, bit * 2 + its value.
 */
function valueFacts(state: CadState, params: CadParams, value: number): number[] {
  const top = 2 ** params.cadValueBits - 1
  const width = state.high - state.low
  const at = width > 0 ? Math.floor(((value - state.low) / width) * top) : 0
  const level = Math.min(Math.max(at, 0), top)
  const facts: number[] = []
  for (let bit = 0; bit < params.cadValueBits; bit++) facts.push(bit * 2 + ((level >> bit) & 1))
  return facts
}

function keyOf(facts: number[]): string {
  return facts.join(',')
}

function semiContext(side: Side, facts: number[], key: string): number {
  const known = side.ids[key]
  if (known !== undefined) return known
  const id = side.facts.length
  side.ids[key] = id
  side.facts.push(facts)
  side.crossCount.push(0)
  for (const fact of facts) (side.byFact[fact] ??= []).push(id)
  ;(side.byTop[facts[facts.length - 1] as number] ??= []).push(id)
  return id
}

/** A fact list with its key, computed once. */
interface Facts {
  facts: number[]
  key: string
}

function withKey(facts: number[]): Facts {
  return { facts, key: keyOf(facts) }
}

/**
 * Finds or creates the context of two sorted fact lists. Returns its id and whether it is new;
 * -1 when it is unknown and memory is full.
 */
function context(
  state: CadModel,
  params: CadParams,
  leftFacts: Facts,
  rightFacts: Facts,
  zero: boolean
): { id: number; created: boolean } {
  const leftKnown = state.left.ids[leftFacts.key]
  const rightKnown = state.right.ids[rightFacts.key]
  if (leftKnown !== undefined && rightKnown !== undefined) {
    const at = (state.followerRights[leftKnown] as number[]).indexOf(rightKnown)
    if (at >= 0) {
      const id = (state.followerContexts[leftKnown] as number[])[at] as number
      if (zero) {
        state.zeroLevel[id] = 1
        state.leftZeroLevel[leftKnown] = 1
      }
      return { id, created: false }
    }
  }
  if (state.hits.length >= params.cadMaxContexts) return { id: -1, created: false }
  const left = semiContext(state.left, leftFacts.facts, leftFacts.key)
  const right = semiContext(state.right, rightFacts.facts, rightFacts.key)
  if (left === state.followerRights.length) {
    state.followerRights.push([])
    state.followerContexts.push([])
    state.leftZeroLevel.push(0)
  }
  if (zero) state.leftZeroLevel[left] = 1
  const id = state.hits.length
  ;(state.followerRights[left] as number[]).push(right)
  ;(state.followerContexts[left] as number[]).push(id)
  state.hits.push(0)
  state.zeroLevel.push(zero ? 1 : 0)
  return { id, created: true }
}

/** Counts, for each semi-context of a side, how many of `facts` it holds. */
function cross(side: Side, facts: number[]): void {
  for (const id of side.crossed) side.crossCount[id] = 0
  side.crossed = []
  for (const fact of facts) {
    const ids = side.byFact[fact]
    if (ids === undefined) continue
    for (const id of ids) {
      if (side.crossCount[id] === 0) side.crossed.push(id)
      side.crossCount[id] = (side.crossCount[id] as number) + 1
    }
  }
}

/** The k contexts with the most confirmed predictions (the older first on a tie), without sorting them all. */
function mostUsed(ids: number[], hits: number[], k: number): number[] {
  const best: number[] = []
  const better = (a: number, b: number): boolean =>
    (hits[a] as number) > (hits[b] as number) || ((hits[a] as number) === (hits[b] as number) && a < b)
  for (const id of ids) {
    if (best.length === k && !better(id, best[k - 1] as number)) continue
    let at = best.length === k ? k - 1 : best.length
    while (at > 0 && better(id, best[at - 1] as number)) {
      best[at] = best[at - 1] as number
      at--
    }
    best[at] = id
  }
  return best
}

/** Ids of the semi-contexts all of whose facts are in `facts`. */
function wholeMatches(side: Side, facts: number[]): number[] {
  const present = new Set(facts)
  const found: number[] = []
  for (const fact of facts) {
    const ids = side.byTop[fact]
    if (ids === undefined) continue
    for (const id of ids) {
      if ((side.facts[id] as number[]).every(f => present.has(f))) found.push(id)
    }
  }
  return found
}

function intersect(facts: number[], present: Set<number>): number[] {
  return facts.filter(fact => present.has(fact))
}

/** One CAD step on this value's facts: scores it against the contexts, then learns it. */
export function cadStep(state: CadModel, params: CadParams, facts: number[]): CadStep {
  const { left, right } = state
  const current = withKey(facts)
  let isNew = false
  let zeroKey = ''
  if (state.leftGroup.length > 0) {
    const previous = withKey(state.leftGroup)
    const zero = context(state, params, previous, current, true)
    isNew = zero.created
    state.newContext = zero.created ? zero.id : -1
    zeroKey = `${previous.key}|${current.key}`
  }
  cross(right, facts)

  // Contexts whose left half was wholly present predicted this step; those whose right half is
  // wholly present now came true. When the step's own pair was new, partial overlaps propose new,
  // shorter contexts (only from contexts that were once a whole step's); otherwise only the whole
  // matches matter, and an index finds them without crossing every semi-context.
  const active: number[] = []
  let selected = 0
  const candidates = new Map<string, [Facts, Facts]>()
  const leftPresent = new Set(state.leftGroup)
  const rightPresent = new Set(facts)
  const rightShared: (Facts | undefined)[] = []
  const visit = (leftId: number, leftCount: number, whole: boolean): void => {
    const rights = state.followerRights[leftId] as number[]
    const contexts = state.followerContexts[leftId] as number[]
    let leftShared: Facts | undefined
    for (let i = 0; i < rights.length; i++) {
      const id = contexts[i] as number
      if (id === state.newContext) continue
      const rightId = rights[i] as number
      const rightCount = right.crossCount[rightId] as number
      if (whole) selected++
      if (whole && rightCount === (right.facts[rightId] as number[]).length) {
        state.hits[id] = (state.hits[id] as number) + 1
        active.push(id)
      } else if (isNew && rightCount > 0 && state.zeroLevel[id] === 1 && leftCount <= params.cadMaxLeftFacts) {
        leftShared ??= withKey(intersect(left.facts[leftId] as number[], leftPresent))
        const rightFacts = (rightShared[rightId] ??= withKey(intersect(right.facts[rightId] as number[], rightPresent)))
        candidates.set(`${leftShared.key}|${rightFacts.key}`, [leftShared, rightFacts])
      }
    }
  }
  if (isNew) {
    // Crossing every semi-context keeps CAD OSE's order of proposals; whole ones are among them.
    cross(left, state.leftGroup)
    for (const leftId of left.crossed) {
      const leftCount = left.crossCount[leftId] as number
      const whole = leftCount === (left.facts[leftId] as number[]).length
      // Partly present, a semi-context can only propose contexts: short ones, from whole steps.
      if (whole || (leftCount <= params.cadMaxLeftFacts && state.leftZeroLevel[leftId] === 1))
        visit(leftId, leftCount, whole)
    }
  } else {
    for (const leftId of wholeMatches(left, state.leftGroup))
      visit(leftId, (left.facts[leftId] as number[]).length, true)
  }
  state.newContext = -1
  const confirmed = selected > 0 ? active.length / selected : 0

  const group = [...facts]
  for (const id of mostUsed(active, state.hits, params.cadActiveNeurons)) group.push(NEURON_BASE + id)
  group.sort((a, b) => a - b)

  let novel = 0
  if (isNew) {
    let added = 1
    for (const [key, [leftFacts, rightFacts]] of candidates) {
      if (key !== zeroKey && context(state, params, leftFacts, rightFacts, false).created) added++
    }
    candidates.set(zeroKey, [current, current])
    novel = added / candidates.size
  }
  state.leftGroup = group
  return { confirmed, novel, anomaly: (1 - confirmed + novel) / 2 }
}

/**
 * CAD's raw anomaly for `value`, given the values before it (oldest first). While `learning`, the
 * range only follows the values and nothing is scored (0). After that the model is built from the
 * recent values; whenever a value leaves the range by more than the hysteresis, the range becomes
 * the running extremes and the model is rebuilt from the recent values under it, so the levels
 * mean the same thing to every context, as they do for CAD OSE with a fixed range. The range is
 * never narrower than 2^bits * minLevelWidth, so a flat metric's tiny changes stay in one level.
 */
export function cadAnomaly(
  state: CadState,
  params: CadParams,
  value: number,
  before: number[],
  minLevelWidth: number,
  learning: boolean
): number {
  state.min = state.min === null ? value : Math.min(state.min, value)
  state.max = state.max === null ? value : Math.max(state.max, value)
  const width = state.high - state.low
  const moved = value > state.high + params.cadHysteresis * width || value < state.low - params.cadHysteresis * width
  if (learning || !state.built || moved) {
    const least = 2 ** params.cadValueBits * minLevelWidth
    const middle = (state.min + state.max) / 2
    state.low = Math.min(state.min, middle - least / 2)
    state.high = Math.max(state.max, middle + least / 2)
  }
  if (learning) return 0
  if (!state.built || moved) {
    state.model = createCadModel()
    for (let i = Math.max(0, before.length - params.cadRebuildPoints); i < before.length; i++) {
      cadStep(state.model, params, valueFacts(state, params, before[i] as number))
    }
    state.built = true
  }
  return cadStep(state.model, params, valueFacts(state, params, value)).anomaly
}
