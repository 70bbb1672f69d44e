// The adaptive score per metric, from the shared scorer (adaptive-scorer.ts, the code the NAB
// benchmark measures). Its state is rebuilt each run from the most recent history points rather
// than persisted: a few hundred points cost about a millisecond, a rebuilt state can never hold
// an event from after `at` (backtests stay honest), and there is no per-metric state to store,
// migrate or lose.
import { createScorerState, scoreNext } from './adaptive-scorer.js'
import type { Point, Points } from './baselines.js'
import type { DetectorSettings } from './settings.js'

/** The adaptive score of each window point, after replaying the history's tail. */
export function adaptiveScores (history: Points, window: Point[], settings: DetectorSettings): number[] {
  // The scorer's own warm-up matches the detector's, so it is warm exactly when a baseline exists.
  const state = createScorerState({ warmup: settings.minHistoryPoints })
  for (let i = Math.max(0, history.v.length - settings.adaptiveHistoryPoints); i < history.v.length; i++) {
    scoreNext(state, history.v[i] as number, history.t[i] as number)
  }
  return window.map((point) => {
    const result = scoreNext(state, point.v, point.t)
    return result.warm ? result.score : 0
  })
}
