// The parameter sets the leave-one-out search chooses among. The shipped defaults come first, so a
// tie keeps them; each other set moves one knob that decides how the scorer generalises (how long
// one incident silences it, how sharply a deviation surprises, how much CAD's and the context
// model's opinions weigh), so a held-out category's choice says which knob its data wanted.
import type { ScorerParams } from '../../src/lib/anomaly/adaptive-scorer.js'

export const CANDIDATES: ReadonlyArray<{ name: string; params: Partial<ScorerParams> }> = [
  { name: 'defaults', params: {} },
  { name: 'suppression=150', params: { suppression: 150 } },
  { name: 'suppression=600', params: { suppression: 600 } },
  { name: 'zScale=6', params: { zScale: 6 } },
  { name: 'zScale=15', params: { zScale: 15 } },
  { name: 'contextWeight=0', params: { contextWeight: 0 } },
  { name: 'cadScale=12', params: { cadScale: 12 } },
  { name: 'cadExpectedRate=0.003', params: { cadExpectedRate: 0.003 } },
  { name: 'no CAD', params: { cadMaxContexts: 0 } }
]
