// The live side of the adaptive scorer (src/lib/anomaly/adaptive-scorer.ts, the code and the
// parameters the NAB benchmark streams): each metric's scorer state is stored between runs
// (detector_states), and a run feeds it only the events after its position, in event-time order,
// so every event is scored once, before it is learned, exactly as `npm run bench:nab` scores a
// file. The state carries the scores of its most recent points, so a window point fed in an
// earlier run keeps the score it was given then.
//
// A state is started afresh from the newest `adaptiveHistoryPoints` events of the lookback when
// the metric has none yet, when its position lies after the run's `at` (a backtest into the past
// must not see the future), when it was built with other parameters, or when more than that many
// events have gathered since it (a gap the stream cannot bridge). An event that arrives after its
// metric's scorer has passed its event time is not fed to the scorer (the rules and baselines
// still judge it): the state never moves backwards, so every instance, restarted or not, feeds
// the same events and reaches the same state.
import { createScorerState, DEFAULT_PARAMS, scoreNext } from '../../lib/anomaly/adaptive-scorer.js'
import {
  packScorerState,
  STATE_FORMAT,
  unpackScorerState,
  type PackedScorerState
} from '../../lib/anomaly/state-codec.js'
import type { ScorerStateKey, StoredScorerState } from '../../db/detector-states.js'
import type { ScorerStream, ScorerStreamRequest } from '../../db/health-series.js'
import type { Point, Points } from './baselines.js'

/** What detector_states.state holds: the scorer packed (state-codec.ts), about a third of its plain JSON. */
export interface LiveScorerState {
  scorer: PackedScorerState
  /**
   * The newest points' event times (ms) and scores, oldest first, each the base64 of a Float64Array:
   * what the window reads its earlier scores from.
   */
  recent: { times: string; scores: string }
}

function packFloats(values: number[]): string {
  return Buffer.from(Float64Array.from(values).buffer).toString('base64')
}

function unpackFloats(text: string): number[] {
  const bytes = Buffer.from(text, 'base64')
  const copy = new Float64Array(bytes.length / 8)
  Buffer.from(copy.buffer).set(bytes)
  return Array.from(copy)
}

/** The stored recent scores as [event time ms, score] pairs, oldest first. */
export function recentScores(state: LiveScorerState): Array<[number, number]> {
  const scores = unpackFloats(state.recent.scores)
  return unpackFloats(state.recent.times).map((time, i) => [time, scores[i] as number])
}

// Enough for a window of several hours at one event a minute.
const RECENT_SCORES = 1000

// A state of an older layout (before packing, or another format) starts afresh like one built with
// other parameters: the metric's lookback rebuilds it, so no migration rewrites stored rows.
function sameFormatAndParams(state: Partial<LiveScorerState>): boolean {
  if (state.scorer?.format !== STATE_FORMAT || typeof state.recent?.times !== 'string') return false
  const stored = state.scorer.params as unknown as Record<string, unknown>
  return Object.entries(DEFAULT_PARAMS).every(([name, value]) => stored[name] === value)
}

/** The stored state a run may continue from, or undefined to start afresh. */
export function resumable(stored: StoredScorerState | undefined, at: number): StoredScorerState | undefined {
  if (stored === undefined || stored.last_event_ms > at) return undefined
  return sameFormatAndParams(stored.state as Partial<LiveScorerState>) ? stored : undefined
}

/** Where the run reads the metric's stream from: after the state it continues, or the lookback's start. */
export function streamRequest(key: ScorerStateKey, resumed: StoredScorerState | undefined): ScorerStreamRequest {
  return { ...key, after_at: resumed?.last_event_at ?? null, after_id: resumed?.last_event_id ?? null }
}

/** What the adaptive scorer did in a run. */
export interface ScoringSummary {
  /** Metrics whose stored state was fed. */
  metrics: number
  /** Events fed to them. */
  points: number
  /** States started afresh (new metric, a backtest before the state, changed parameters, or a gap). */
  fresh: number
}

export interface Fed {
  /** The adaptive score of each window point (0 while the scorer warms up or for a point it never saw). */
  scores: number[]
  /** The state to store, or null when nothing was fed. */
  next: StoredScorerState | null
  /** Points fed in this run. */
  points: number
  /** The state was started afresh. */
  fresh: boolean
}

/** Feeds the stream to the resumed state (or a fresh one) and reads the window's scores. */
export function feedScorer(
  key: ScorerStateKey,
  resumed: StoredScorerState | undefined,
  stream: ScorerStream,
  window: Point[],
  maxPoints: number
): Fed {
  // A backlog of exactly maxPoints may be longer still: the stream cannot bridge it.
  const continued = resumed !== undefined && stream.t.length < maxPoints ? resumed : undefined
  const stored = continued?.state as LiveScorerState | undefined
  const scorer = stored === undefined ? createScorerState() : unpackScorerState(stored.scorer)
  const recent = stored === undefined ? [] : recentScores(stored)
  for (let i = 0; i < stream.t.length; i++) {
    const t = stream.t[i] as number
    const result = scoreNext(scorer, stream.v[i] as number, t)
    recent.push([t, result.warm ? result.score : 0])
  }
  if (recent.length > RECENT_SCORES) recent.splice(0, recent.length - RECENT_SCORES)
  const byTime = new Map(recent)
  const scores = window.map(point => byTime.get(point.t) ?? 0)
  const last = stream.ids.length - 1
  const next =
    last < 0 || stream.last_at === null
      ? null
      : {
          ...key,
          last_event_at: stream.last_at,
          last_event_ms: stream.t[last] as number,
          last_event_id: stream.ids[last] as string,
          points_fed: (continued?.points_fed ?? 0) + stream.t.length,
          state: {
            scorer: packScorerState(scorer),
            recent: {
              times: packFloats(recent.map(([time]) => time)),
              scores: packFloats(recent.map(([, score]) => score))
            }
          } satisfies LiveScorerState
        }
  return { scores, next, points: stream.t.length, fresh: continued === undefined }
}

/**
 * The window's scores from a fresh state fed the newest `maxPoints` of a series held in memory
 * (history, then window): what a plan over components that were never stored uses.
 */
export function scoresInMemory(history: Points, window: Point[], maxPoints: number): number[] {
  const t = [...history.t, ...window.map(point => point.t)].slice(-maxPoints)
  const v = [...history.v, ...window.map(point => point.v)].slice(-maxPoints)
  const stream = { t: Float64Array.from(t), v: Float64Array.from(v), ids: t.map(String), last_at: null }
  return feedScorer(
    { organization_id: null, component_name: '', metric: 'latency_ms' },
    undefined,
    stream,
    window,
    Infinity
  ).scores
}
