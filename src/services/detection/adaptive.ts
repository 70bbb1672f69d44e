// The adaptive score per metric, from the shared scorer (adaptive-scorer.ts, the code the NAB
// benchmark measures). Its state is rebuilt each run from the most recent history points rather
// than persisted: a few hundred points cost about a millisecond, a rebuilt state can never hold
// an event from after `at` (backtests stay honest), and there is no per-metric state to store,
// migrate or lose. A run's adaptive scoring has a time budget: a mass incident makes many metrics
// stand out at once, each costing tens of milliseconds against a long history, and once the budget
// is spent the rest are judged by the rules and the baselines alone, which the run's audit records.
import { performance } from 'node:perf_hooks'
import { createScorerState, scoreNext } from '../../lib/anomaly/adaptive-scorer.js'
import type { Point, Points } from './baselines.js'
import type { DetectorSettings } from './settings.js'

/** The adaptive score of each window point, after replaying the history's tail. */
export function adaptiveScores(history: Points, window: Point[], settings: DetectorSettings): number[] {
  // The scorer's own warm-up matches the detector's, so it is warm exactly when a baseline exists.
  const state = createScorerState({ warmup: settings.minHistoryPoints })
  for (let i = Math.max(0, history.v.length - settings.adaptiveHistoryPoints); i < history.v.length; i++) {
    scoreNext(state, history.v[i] as number, history.t[i] as number)
  }
  return window.map(point => {
    const result = scoreNext(state, point.v, point.t)
    return result.warm ? result.score : 0
  })
}

/** What a run may spend on adaptive scoring, and what it did. */
export interface AdaptiveBudget {
  limitMs: number
  spentMs: number
  /** Metrics scored. */
  scored: number
  /** Metrics that stood out after the budget was spent, judged without the adaptive score. */
  skipped: number
}

export function createAdaptiveBudget(limitMs: number): AdaptiveBudget {
  return { limitMs, spentMs: 0, scored: 0, skipped: 0 }
}

/** The window's adaptive scores within the budget, or null (counted as skipped) once it is spent. */
export function budgetedAdaptiveScores(
  budget: AdaptiveBudget,
  history: Points,
  window: Point[],
  settings: DetectorSettings
): number[] | null {
  if (budget.spentMs >= budget.limitMs) {
    budget.skipped++
    return null
  }
  const started = performance.now()
  const scores = adaptiveScores(history, window, settings)
  budget.spentMs += performance.now() - started
  budget.scored++
  return scores
}
