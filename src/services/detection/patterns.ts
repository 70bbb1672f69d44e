// Names the shape of a breach within the evaluation window, so a reader (and the severity) can
// tell a blip from a climb from a plateau: gradual_increase when the window rises steadily with no
// single jump carrying it, sustained_high when most of the window breaches for long enough,
// otherwise sudden_spike. A metric whose trouble is a drop (traffic) gets the same shapes the
// other way up: gradual_decrease, sustained_low, sudden_drop.
import type { Point } from './baselines.js'
import { worseness, type MetricRule } from './rules.js'
import type { DetectorSettings } from './settings.js'

export type PatternType =
  'sudden_spike' | 'gradual_increase' | 'sustained_high' | 'sudden_drop' | 'gradual_decrease' | 'sustained_low'

const NAMES = {
  up: { sudden: 'sudden_spike', gradual: 'gradual_increase', sustained: 'sustained_high' },
  down: { sudden: 'sudden_drop', gradual: 'gradual_decrease', sustained: 'sustained_low' }
} as const satisfies Record<MetricRule['direction'], Record<string, PatternType>>

/** A climb or a slide long enough to count as persistent: what severity adds a step for. */
export function isPersistent(pattern: Pattern): boolean {
  return (
    pattern.type === 'sustained_high' ||
    pattern.type === 'sustained_low' ||
    ((pattern.type === 'gradual_increase' || pattern.type === 'gradual_decrease') && pattern.persistence >= 0.5)
  )
}

export interface Pattern {
  type: PatternType
  /** From the start of the breach (of the climb, for a gradual increase) to its last point. */
  durationSeconds: number
  /** Separate breach episodes per hour of the window. */
  frequencyPerHour: number
  /** Share of the window's points that breach. */
  persistence: number
  episodes: number
}

/** Kendall's tau-a: +1 when every later point is higher than every earlier one. */
export function kendallTau(values: number[]): number {
  let concordant = 0
  let discordant = 0
  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) {
      const d = (values[j] as number) - (values[i] as number)
      if (d > 0) concordant++
      else if (d < 0) discordant++
    }
  }
  const pairs = (values.length * (values.length - 1)) / 2
  return pairs === 0 ? 0 : (concordant - discordant) / pairs
}

function isGradual(values: number[], settings: DetectorSettings): boolean {
  if (values.length < 5) return false
  const rise = (values[values.length - 1] as number) - (values[0] as number)
  if (rise <= 0) return false
  let largestStep = 0
  for (let i = 1; i < values.length; i++)
    largestStep = Math.max(largestStep, (values[i] as number) - (values[i - 1] as number))
  // A climb made of one jump is a spike that happened to start from a slope.
  return largestStep <= 0.4 * rise && kendallTau(values) >= settings.gradualTau
}

/**
 * `window` is time-ordered, `breaching` says which of its points breach; at least one does. The
 * values are read in the rule's direction of trouble, so a drop's slide is judged as a climb.
 */
export function recognisePattern(
  window: Point[],
  breaching: boolean[],
  intervalMs: number,
  rule: Pick<MetricRule, 'direction'>,
  settings: DetectorSettings
): Pattern {
  const names = NAMES[rule.direction]
  const indices = breaching.flatMap((breach, i) => (breach ? [i] : []))
  const first = window[indices[0] as number] as Point
  const last = window[indices[indices.length - 1] as number] as Point
  const episodes = breaching.filter((breach, i) => breach && (i === 0 || breaching[i - 1] !== true)).length
  const persistence = indices.length / window.length
  const span = last.t - first.t + intervalMs
  const frequencyPerHour = episodes / (settings.windowMinutes / 60)
  if (
    isGradual(
      window.slice(0, (indices[indices.length - 1] as number) + 1).map(point => worseness(rule, point.v)),
      settings
    )
  ) {
    return {
      type: names.gradual,
      durationSeconds: (last.t - (window[0] as Point).t + intervalMs) / 1000,
      frequencyPerHour,
      persistence,
      episodes
    }
  }
  const type =
    persistence >= settings.sustainedShare && span >= settings.sustainedMinutes * 60_000
      ? names.sustained
      : names.sudden
  return { type, durationSeconds: span / 1000, frequencyPerHour, persistence, episodes }
}
