// Leave-one-category-out over NAB: for each category, the parameter set and the threshold are
// chosen on the other categories alone (per profile, as NAB optimises its threshold per profile),
// and the held-out category is then scored with them. A figure reached this way says how the
// detector does on data like nothing it was tuned on, which the corpus score (threshold swept
// over the very files it is scored on) cannot say.
import type { CostMatrix } from './corpus.js'
import { corpusRows, normalize, optimizeThreshold, scoreAtThreshold, type Counts, type ScoredFile } from './scoring.js'

export interface HeldOutResult {
  category: string
  /** The candidate chosen without the category. */
  candidate: string
  threshold: number
  windows: number
  counts: Counts
  /** Normalised against the category's own null (every window missed) and perfect scores; NaN without windows. */
  normalized: number
}

/**
 * For each category, picks among `candidates` (each one's scored files, the whole corpus) the one
 * whose best threshold scores highest on the other categories, then scores the category at that
 * candidate's threshold. A tie keeps the earlier candidate.
 */
export function leaveOneCategoryOut(candidates: Map<string, ScoredFile[]>, cost: CostMatrix): HeldOutResult[] {
  const first = [...candidates.values()][0] ?? []
  const categories = [...new Set(first.map(file => file.category))]
  return categories.map(category => {
    let chosen: { name: string; threshold: number; score: number } | undefined
    for (const [name, files] of candidates) {
      const best = optimizeThreshold(
        corpusRows(
          files.filter(file => file.category !== category),
          cost
        ),
        cost
      )
      if (chosen === undefined || best.score > chosen.score) chosen = { name, ...best }
    }
    if (chosen === undefined) throw new Error('no candidates')
    const heldOut = (candidates.get(chosen.name) ?? []).filter(file => file.category === category)
    const counts = scoreAtThreshold(corpusRows(heldOut, cost), chosen.threshold, cost)
    const windows = heldOut.reduce((sum, file) => sum + file.windows.length, 0)
    return {
      category,
      candidate: chosen.name,
      threshold: chosen.threshold,
      windows,
      counts,
      normalized: windows === 0 ? NaN : normalize(counts.score, -cost.fnWeight * windows, windows * cost.tpWeight)
    }
  })
}

/** The mean over the categories that have windows (a category without any has no normalised score). */
export function meanHeldOut(results: HeldOutResult[]): number {
  const scored = results.filter(result => !Number.isNaN(result.normalized))
  return scored.reduce((sum, result) => sum + result.normalized, 0) / scored.length
}
