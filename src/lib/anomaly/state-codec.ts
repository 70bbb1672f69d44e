// The adaptive scorer's state in a compact, storable form. The live detector reads and writes one
// state per scored metric every run, and as plain JSON a state is 300-600 KB (numbers printed
// as decimal text, CAD's indexes spelled out as objects). Packed, every numeric window is the raw
// bytes of a Float64Array (exact: a score after unpacking is bit for bit the score before), the
// integer tables are Int32 or Uint8 arrays, and whatever can be derived is left out and rebuilt on
// unpacking: the sorted copies of the windows, CAD's lookup indexes (semi-context ids by key, by
// fact and by largest fact) and its per-step scratch counts. The bytes go through deflate (level 1:
// most of a metric's values repeat a few digits) and base64, so the packed state stays a small
// JSON document.
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import type { ScorerParams, ScorerState } from './adaptive-scorer.js'
import type { CadModel, CadState } from './cad-detector.js'
import type { ContextState } from './context-detector.js'

/** Bumped whenever the packed layout changes; a state of another format is not resumed. */
export const STATE_FORMAT = 2

export interface PackedScorerState {
  format: number
  /** Kept readable: a state built with other parameters starts afresh without being unpacked. */
  params: ScorerParams
  /** Every scalar of the state, in a fixed order (see SCALARS). */
  scalars: Array<number | null>
  /** The short arrays, as they are. */
  intervals: number[]
  recent: number[]
  levelCounts: number[]
  contextRecent: number[]
  leftGroup: number[]
  /** Every long array, each as a length and its bytes, deflated together and base64-encoded. */
  blob: string
}

// The scalars, in the order `scalars` holds them.
const SCALARS = [
  'count',
  'lastTime',
  'period',
  'averagesSum',
  'averagesSumSq',
  'recentSum',
  'sinceDetection',
  'cadQuiet',
  'cadScored',
  'cadReports',
  'ctxMin',
  'ctxMax',
  'ctxLow',
  'ctxHigh',
  'ctxSize',
  'ctxCount',
  'cadMin',
  'cadMax',
  'cadLow',
  'cadHigh',
  'cadBuilt',
  'newContext'
] as const

type Typed = Float64Array | Int32Array | Uint8Array

/** Concatenates typed arrays, each after its element count, into one buffer. */
class Writer {
  private readonly parts: Buffer[] = []

  put(array: Typed): void {
    const length = Buffer.alloc(4)
    length.writeUInt32LE(array.length)
    this.parts.push(length, Buffer.from(array.buffer, array.byteOffset, array.byteLength))
  }

  /** A list of integer lists, as their lengths then their elements. */
  putLists(lists: number[][]): void {
    this.put(Int32Array.from(lists, list => list.length))
    this.put(Int32Array.from(lists.flat()))
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts)
  }
}

class Reader {
  private at = 0

  constructor(private readonly bytes: Buffer) {}

  private next<T extends Typed>(size: number, make: (buffer: ArrayBuffer) => T): T {
    const length = this.bytes.readUInt32LE(this.at)
    this.at += 4
    // Copied out, so each array is aligned and owns its bytes.
    const copy = new ArrayBuffer(length * size)
    this.bytes.copy(Buffer.from(copy), 0, this.at, this.at + length * size)
    this.at += length * size
    return make(copy)
  }

  f64(): number[] {
    return Array.from(this.next(8, buffer => new Float64Array(buffer)))
  }

  i32(): Int32Array {
    return this.next(4, buffer => new Int32Array(buffer))
  }

  u8(): number[] {
    return Array.from(this.next(1, buffer => new Uint8Array(buffer)))
  }

  lists(): number[][] {
    const lengths = this.i32()
    const flat = this.i32()
    const lists: number[][] = []
    let from = 0
    for (const length of lengths) {
      lists.push(Array.from(flat.subarray(from, from + length)))
      from += length
    }
    return lists
  }
}

function ascending(values: number[]): number[] {
  return Array.from(Float64Array.from(values).sort())
}

function scalarsOf(state: ScorerState): Record<(typeof SCALARS)[number], number | null> {
  const { context, cad } = state
  return {
    count: state.count,
    lastTime: state.lastTime,
    period: state.period,
    averagesSum: state.averagesSum,
    averagesSumSq: state.averagesSumSq,
    recentSum: state.recentSum,
    sinceDetection: state.sinceDetection,
    cadQuiet: state.cadQuiet,
    cadScored: state.cadScored,
    cadReports: state.cadReports,
    ctxMin: context.min,
    ctxMax: context.max,
    ctxLow: context.low,
    ctxHigh: context.high,
    ctxSize: context.size,
    ctxCount: context.count,
    cadMin: cad.min,
    cadMax: cad.max,
    cadLow: cad.low,
    cadHigh: cad.high,
    cadBuilt: cad.built ? 1 : 0,
    newContext: cad.model.newContext
  }
}

export function packScorerState(state: ScorerState): PackedScorerState {
  const scalars = scalarsOf(state)
  const { followers } = state.context
  const model = state.cad.model
  const writer = new Writer()
  writer.put(Float64Array.from(state.history))
  writer.put(Float64Array.from(state.seasonalErrors))
  writer.put(Float64Array.from(state.weeklyErrors))
  writer.put(Float64Array.from(state.averages))
  const keys = Object.keys(followers)
  writer.put(Float64Array.from(keys, Number))
  writer.put(Float64Array.from(keys, key => followers[key] as number))
  writer.putLists(model.left.facts)
  writer.putLists(model.right.facts)
  writer.putLists(model.followerRights)
  writer.putLists(model.followerContexts)
  writer.put(Uint8Array.from(model.leftZeroLevel))
  writer.put(Float64Array.from(model.hits))
  writer.put(Uint8Array.from(model.zeroLevel))
  return {
    format: STATE_FORMAT,
    params: state.params,
    scalars: SCALARS.map(name => scalars[name]),
    intervals: state.intervals,
    recent: state.recent,
    levelCounts: state.context.levelCounts,
    contextRecent: state.context.recent,
    leftGroup: model.leftGroup,
    blob: deflateRawSync(writer.bytes(), { level: 1 }).toString('base64')
  }
}

/** A CAD side rebuilt from its semi-contexts' facts, in id order, as cad-detector's semiContext builds it. */
function side(facts: number[][]): CadModel['left'] {
  const built: CadModel['left'] = { ids: {}, facts, byFact: {}, byTop: {}, crossCount: [], crossed: [] }
  facts.forEach((list, id) => {
    built.ids[list.join(',')] = id
    built.crossCount.push(0)
    for (const fact of list) (built.byFact[fact] ??= []).push(id)
    ;(built.byTop[list[list.length - 1] as number] ??= []).push(id)
  })
  return built
}

export function unpackScorerState(packed: PackedScorerState): ScorerState {
  const value = Object.fromEntries(SCALARS.map((name, i) => [name, packed.scalars[i] ?? null])) as Record<
    (typeof SCALARS)[number],
    number | null
  >
  const number = (name: (typeof SCALARS)[number]): number => value[name] as number
  const reader = new Reader(inflateRawSync(Buffer.from(packed.blob, 'base64')))
  const history = reader.f64()
  const seasonalErrors = reader.f64()
  const weeklyErrors = reader.f64()
  const averages = reader.f64()
  const keys = reader.f64()
  const counts = reader.f64()
  const followers: Record<string, number> = {}
  keys.forEach((key, i) => {
    followers[String(key)] = counts[i] as number
  })
  const context: ContextState = {
    min: value.ctxMin,
    max: value.ctxMax,
    low: number('ctxLow'),
    high: number('ctxHigh'),
    levelCounts: packed.levelCounts,
    recent: packed.contextRecent,
    followers,
    size: number('ctxSize'),
    count: number('ctxCount')
  }
  const model: CadModel = {
    leftGroup: packed.leftGroup,
    left: side(reader.lists()),
    right: side(reader.lists()),
    followerRights: reader.lists(),
    followerContexts: reader.lists(),
    leftZeroLevel: reader.u8(),
    hits: reader.f64(),
    zeroLevel: reader.u8(),
    newContext: number('newContext')
  }
  const cad: CadState = {
    min: value.cadMin,
    max: value.cadMax,
    low: number('cadLow'),
    high: number('cadHigh'),
    built: value.cadBuilt === 1,
    model
  }
  return {
    params: packed.params,
    count: number('count'),
    lastTime: value.lastTime,
    intervals: packed.intervals,
    period: number('period'),
    history,
    sorted: ascending(history),
    seasonalErrors,
    seasonalSorted: ascending(seasonalErrors),
    weeklyErrors,
    weeklySorted: ascending(weeklyErrors),
    averages,
    averagesSum: number('averagesSum'),
    averagesSumSq: number('averagesSumSq'),
    recent: packed.recent,
    recentSum: number('recentSum'),
    sinceDetection: number('sinceDetection'),
    context,
    cad,
    cadQuiet: number('cadQuiet'),
    cadScored: number('cadScored'),
    cadReports: number('cadReports')
  }
}
