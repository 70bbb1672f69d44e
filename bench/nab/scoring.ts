// NAB's scoring, re-implemented from numenta/NAB (nab/sweeper.py, nab/optimizer.py and
// Runner.normalize) so the benchmark needs no Python: every row gets a weight from the scaled
// sigmoid of its position relative to the anomaly windows, only the earliest detection in a window
// counts, one threshold is swept over the whole corpus per profile, and the result is normalised
// so the null detector scores 0 and the perfect detector 100.
import type { CostMatrix, Window } from './corpus.js'

export const PROBATION_PERCENT = 0.15

/** One scorable row (probationary rows are dropped, as the sweeper drops them). */
export interface SweepRow {
  score: number
  /** The weight this row adds when it is a detection (sweeper.calcSweepScore). */
  weight: number
  /** Corpus-wide window id, or -1 outside every window. */
  window: number
}

export interface ThresholdScore {
  threshold: number
  score: number
}

export interface Counts {
  score: number
  tp: number
  fp: number
  fn: number
  tn: number
}

/** A detector's scores for one file, with its windows. */
export interface ScoredFile {
  name: string
  category: string
  scores: ArrayLike<number>
  windows: Window[]
}

export function scaledSigmoid(relativePosition: number): number {
  // NAB's cut-off: FPs three window-widths past a window (or before any window) weigh fully.
  if (relativePosition >= 3) return -1
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1
}

/** sweeper._getProbationaryLength: 15% of the rows, at most 15% of 5000 (750). */
export function probationLength(rows: number, percent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * rows), percent * 5000)
}

/**
 * sweeper.calcSweepScore: a row in a window weighs tpWeight scaled by how early it is (the first
 * row of a window gets the full tpWeight); a row outside weighs -fpWeight scaled by its distance
 * after the preceding window, or the full -fpWeight before any window.
 */
export function sweepRows(
  file: ScoredFile,
  cost: CostMatrix,
  firstWindowId: number,
  percent = PROBATION_PERCENT
): SweepRow[] {
  const { scores, windows } = file
  const maxTp = scaledSigmoid(-1)
  const probation = probationLength(scores.length, percent)
  const rows: SweepRow[] = []
  let next = 0
  let previous: Window | undefined
  for (let i = 0; i < scores.length; i++) {
    while (next < windows.length && (windows[next]?.end ?? Infinity) < i) previous = windows[next++]
    const current = windows[next]
    const score = scores[i] ?? 0
    let weight: number
    let window = -1
    if (current !== undefined && current.start <= i) {
      const width = current.end - current.start + 1
      weight = (scaledSigmoid(-(current.end - i + 1) / width) * cost.tpWeight) / maxTp
      window = firstWindowId + next
    } else if (previous === undefined) {
      weight = scaledSigmoid(3) * cost.fpWeight
    } else {
      const width = previous.end - previous.start + 1
      weight = scaledSigmoid(Math.abs(previous.end - i) / (width - 1)) * cost.fpWeight
    }
    if (i >= probation) rows.push({ score, weight, window })
  }
  return rows
}

/** Every file's rows with corpus-wide window ids. */
export function corpusRows(files: ScoredFile[], cost: CostMatrix, percent = PROBATION_PERCENT): SweepRow[] {
  const rows: SweepRow[] = []
  let windowId = 0
  for (const file of files) {
    for (const row of sweepRows(file, cost, windowId, percent)) rows.push(row)
    windowId += file.windows.length
  }
  return rows
}

/**
 * sweeper.calcScoreByThreshold: from the highest score down, each distinct score becomes a
 * threshold whose corpus score counts the earliest detection per window (windows without one
 * cost fnWeight) plus every false positive's weight. Only windows with a scorable row count.
 */
export function scoresByThreshold(rows: SweepRow[], cost: CostMatrix): ThresholdScore[] {
  const sorted = [...rows].sort((a, b) => b.score - a.score)
  const parts = new Map<number, number>()
  for (const row of sorted) if (row.window >= 0) parts.set(row.window, -cost.fnWeight)
  let total = -cost.fnWeight * parts.size
  let threshold = 1.1
  const out: ThresholdScore[] = []
  for (const row of sorted) {
    if (row.score !== threshold) {
      out.push({ threshold, score: total })
      threshold = row.score
    }
    if (row.window < 0) {
      total += row.weight
    } else {
      const part = parts.get(row.window) ?? -cost.fnWeight
      if (row.weight > part) {
        total += row.weight - part
        parts.set(row.window, row.weight)
      }
    }
  }
  out.push({ threshold, score: total })
  return out
}

/** optimizer.optimizeThreshold: the best corpus score; a tie goes to the higher threshold. */
export function optimizeThreshold(rows: SweepRow[], cost: CostMatrix): ThresholdScore {
  let best: ThresholdScore | undefined
  for (const candidate of scoresByThreshold(rows, cost)) {
    if (best === undefined || candidate.score > best.score) best = candidate
  }
  if (best === undefined) throw new Error('no rows to score')
  return best
}

/** sweeper.scoreDataSet at a fixed threshold: detections are rows scoring >= threshold. */
export function scoreAtThreshold(rows: SweepRow[], threshold: number, cost: CostMatrix): Counts {
  const parts = new Map<number, number>()
  const counts: Counts = { score: 0, tp: 0, fp: 0, fn: 0, tn: 0 }
  let fpScore = 0
  for (const row of rows) {
    const detected = row.score >= threshold
    if (row.window >= 0) {
      if (!parts.has(row.window)) parts.set(row.window, -cost.fnWeight)
      if (detected) {
        counts.tp++
        parts.set(row.window, Math.max(parts.get(row.window) ?? -cost.fnWeight, row.weight))
      } else {
        counts.fn++
      }
    } else if (detected) {
      counts.fp++
      fpScore += row.weight
    } else {
      counts.tn++
    }
  }
  let windowScore = 0
  for (const part of parts.values()) windowScore += part
  counts.score = windowScore + fpScore
  return counts
}

/** Runner.normalize: 100 * (raw - null) / (perfect - null). */
export function normalize(raw: number, nullScore: number, perfect: number): number {
  return (100 * (raw - nullScore)) / (perfect - nullScore)
}

export interface ProfileResult {
  threshold: number
  raw: number
  nullScore: number
  perfect: number
  normalized: number
  /** Per category at the same threshold, normalised against that category's own null and perfect. */
  categories: Record<string, { raw: number; normalized: number; windows: number; counts: Counts }>
}

/**
 * The whole NAB evaluation for one profile: sweep the threshold over these files, score them at
 * it, and normalise. The null detector's score comes from sweeping a constant detector, exactly as
 * NAB derives it from its null detector's results; the perfect score is one full-weight true
 * positive per labelled window.
 */
export function evaluateProfile(files: ScoredFile[], cost: CostMatrix, percent = PROBATION_PERCENT): ProfileResult {
  const rows = corpusRows(files, cost, percent)
  const best = optimizeThreshold(rows, cost)
  const nullFiles = files.map(file => ({ ...file, scores: new Float64Array(file.scores.length).fill(0.5) }))
  const nullScore = optimizeThreshold(corpusRows(nullFiles, cost, percent), cost).score
  const windows = files.reduce((sum, file) => sum + file.windows.length, 0)
  const perfect = windows * cost.tpWeight

  const categories: ProfileResult['categories'] = {}
  for (const category of [...new Set(files.map(file => file.category))]) {
    const members = files.filter(file => file.category === category)
    const counts = scoreAtThreshold(corpusRows(members, cost, percent), best.threshold, cost)
    const categoryWindows = members.reduce((sum, file) => sum + file.windows.length, 0)
    const categoryNull = -cost.fnWeight * categoryWindows
    categories[category] = {
      raw: counts.score,
      normalized: categoryWindows === 0 ? NaN : normalize(counts.score, categoryNull, categoryWindows * cost.tpWeight),
      windows: categoryWindows,
      counts
    }
  }
  return {
    threshold: best.threshold,
    raw: best.score,
    nullScore,
    perfect,
    normalized: normalize(best.score, nullScore, perfect),
    categories
  }
}
