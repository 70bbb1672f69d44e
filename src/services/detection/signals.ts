// Turns evaluations into changes to anomaly_signals without noise: one active signal per
// organization, component and anomaly type (a repeat with new evidence updates it, an old breach
// still inside the window changes nothing), a signal resolved once its metric has stayed normal
// for the recovery window, and a component that keeps opening and closing marked flapping and
// held open longer instead of paging again.
import type {
  ActiveSignal,
  RecentResolution,
  ReopenableSignal,
  Resolution,
  ResolutionCount,
  SignalDraft
} from '../../db/detection-signals.js'
import type { ComponentSeries, RolledSeries } from '../../db/health-series.js'
import { ROLLUP_LEVELS } from '../../db/health-event-rollups.js'
import type { Points, RolledHour } from './baselines.js'
import { evaluateMetric, type Finding, type MetricEvaluation, type SeriesPoint } from './evaluate.js'
import { METRICS, RULE_NAMES, type MetricName } from './rules.js'
import { scoresInMemory } from './scorer-state.js'
import { severityRank } from './severity.js'
import type { DetectorSettings } from './settings.js'

export interface Component {
  organizationId: string | null
  componentType: string
  componentName: string
  /** Its earliest event in the lookback: plans list components in the order they first reported. */
  firstReportedAt: number
  series: Record<MetricName, MetricSeries>
}

/** One metric's points, split at the window's start, the older history possibly rolled up. */
export interface MetricSeries {
  history: Points
  window: SeriesPoint[]
  rolled?: RolledHour[]
}

/** The adaptive score of each window point per metric, from the metrics' scorer states. */
export type AdaptiveScores = Partial<Record<MetricName, number[]>>

export interface PlannedSignal {
  draft: SignalDraft
  finding: Finding
  component: Component
  /** No active signal existed: this opens one. */
  opens: boolean
  /** The auto-resolved signal this reopens instead of opening a new one. */
  reopens?: string
}

export interface Plan {
  signals: PlannedSignal[]
  resolutions: Resolution[]
}

// Organization ids are UUIDs and names have no NUL, so joining on NUL keeps keys unambiguous.
const componentKey = (organizationId: string | null, componentName: string | null): string =>
  `${organizationId ?? ''}\u0000${componentName ?? ''}`
const evaluationKey = (metric: string, anomalyType: string): string => `${metric}\u0000${anomalyType}`
const key = (organizationId: string | null, componentName: string | null, anomalyType: string): string =>
  `${componentKey(organizationId, componentName)}\u0000${anomalyType}`

/** The points whose value was reported: views of the arrays when every event reported it. */
function reported(t: Float64Array, v: Float64Array): Points {
  const kept: number[] = []
  for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i])) kept.push(i)
  if (kept.length === v.length) return { t, v }
  return { t: Float64Array.from(kept, i => t[i] as number), v: Float64Array.from(kept, i => v[i] as number) }
}

const KNOTS = ROLLUP_LEVELS.length

/**
 * A metric's rolled-up hours inside the lookback. An hour that began before the lookback counts in
 * proportion to the part of its events' time span inside it (as if they were spread evenly).
 */
function rolledHours(rolled: RolledSeries | undefined, metric: MetricName, lookbackFrom: number): RolledHour[] {
  if (rolled === undefined) return []
  const counts = rolled.counts[metric]
  const hours: RolledHour[] = []
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] as number
    if (count === 0) continue
    const first = rolled.first_event_at[i] as number
    const lastAt = rolled.last_event_at[i] as number
    // Half-open spans, so an hour whose events share one instant still has a length.
    const to = lastAt + 1
    const from = Math.max(first, lookbackFrom)
    if (from >= to) continue
    hours.push({
      from,
      to,
      lastAt,
      weight: (count * (to - from)) / (to - first),
      knots: rolled.quantiles[metric].subarray(i * KNOTS, (i + 1) * KNOTS)
    })
  }
  return hours
}

function metricSeries(row: ComponentSeries, metric: MetricName, lookbackFrom: number): MetricSeries {
  const values = row[metric]
  const windowFrom = row.t.length - row.window_ids.length
  const window: SeriesPoint[] = []
  for (let i = windowFrom; i < row.t.length; i++) {
    if (!Number.isNaN(values[i]))
      window.push({ id: row.window_ids[i - windowFrom] as string, t: row.t[i] as number, v: values[i] as number })
  }
  return {
    history: reported(row.t.subarray(0, windowFrom), values.subarray(0, windowFrom)),
    window,
    rolled: rolledHours(row.rolled, metric, lookbackFrom)
  }
}

/**
 * A component's events as one series per metric, leaving out the events that did not report it.
 * `lookbackFrom` is where the history starts, which the rolled-up hour it falls in straddles.
 */
export function componentOf(row: ComponentSeries, lookbackFrom = -Infinity): Component {
  const series = Object.fromEntries(METRICS.map(metric => [metric, metricSeries(row, metric, lookbackFrom)])) as Record<
    MetricName,
    MetricSeries
  >
  const first = Math.min(row.rolled?.first_event_at[0] ?? Infinity, row.t[0] ?? Infinity)
  return {
    organizationId: row.organization_id,
    componentType: row.component_type,
    componentName: row.component_name,
    firstReportedAt: Number.isFinite(first) ? first : 0,
    series
  }
}

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits

function describe(finding: Finding): string {
  const { rule, metric, peak, baseline, hit, pattern } = finding
  const reference =
    baseline === null
      ? 'no baseline yet (warm-up)'
      : `a ${baseline.method === 'seasonal_median' ? 'same-time-of-day' : 'robust'} baseline of ${round(baseline.value, 2)}${rule.unit}`
  const side = rule.direction === 'up' ? 'above' : 'below'
  const crossed =
    hit === null
      ? `${round(finding.z ?? 0, 1)} robust spreads ${side} it, flagged by the adaptive score`
      : `${side} the threshold of ${round(hit.threshold, 2)}${rule.unit}`
  const reached = rule.direction === 'up' ? 'peaked at' : 'fell to'
  return `${metric} ${reached} ${round(peak.v, 2)}${rule.unit} against ${reference}, ${crossed}; ${pattern.type.replace('_', ' ')} with ${Math.round(pattern.persistence * 100)}% of the window's points breaching.`
}

function draftOf(
  finding: Finding,
  component: Component,
  at: Date,
  windowStart: number,
  flapping: boolean
): SignalDraft {
  const { baseline, peak, hit, pattern } = finding
  return {
    // Organization-wide: the baseline and the evidence come from every event of the organization's
    // component, which no single member may read, so the signal is nobody's (admins and the
    // service role read it; docs/tenancy.md "The evidence rule").
    user_id: null,
    organization_id: component.organizationId,
    anomaly_type: finding.rule.anomalyType,
    anomaly_category: finding.rule.category,
    severity: finding.severity,
    confidence_score: finding.confidence,
    source_type: 'system_health_events',
    source_id: peak.id,
    source_component_type: component.componentType,
    source_component_name: component.componentName,
    anomaly_description: describe(finding),
    baseline_value: baseline === null ? null : round(baseline.value),
    observed_value: round(peak.v),
    deviation_percentage:
      baseline === null || baseline.value === 0 ? null : round(((peak.v - baseline.value) / baseline.value) * 100, 2),
    threshold_exceeded: hit === null ? null : round(hit.threshold),
    pattern_type: pattern.type,
    pattern_duration_seconds: round(pattern.durationSeconds, 1),
    pattern_frequency: round(pattern.frequencyPerHour, 2),
    affected_components: [component.componentName],
    detection_method: 'statistical',
    detection_algorithm: `${finding.algorithms.join(' + ')} against ${baseline === null ? 'no baseline (warm-up: absolute limits only)' : baseline.method === 'seasonal_median' ? 'a seasonal median/MAD baseline' : 'a median/MAD baseline'}`,
    detection_timestamp: at,
    last_observed_at: new Date(finding.lastBreachAt),
    flapping,
    metadata: {
      detector: 'core314-detector',
      metric: finding.metric,
      window_start: new Date(windowStart).toISOString(),
      window_end: at.toISOString(),
      baseline_method: baseline?.method ?? null,
      baseline_spread: baseline === null ? null : round(baseline.spread),
      baseline_points: baseline?.points ?? 0,
      z_score: finding.z === null ? null : round(finding.z, 2),
      adaptive_score: finding.adaptiveScore === null ? null : round(finding.adaptiveScore, 5),
      persistence: round(pattern.persistence),
      episodes: pattern.episodes
    }
  }
}

function worse(a: Finding, b: Finding): Finding {
  const order = severityRank(b.severity) - severityRank(a.severity)
  return order > 0 || (order === 0 && b.confidence > a.confidence) ? b : a
}

export interface Planner {
  /**
   * Judges one component's metrics and plans its signal changes, or puts it aside when a metric
   * needs the adaptive scores of its window first (`deferred`): judge it again with them.
   */
  judge: (component: Component, adaptiveScores?: AdaptiveScores) => void
  /** How many components have been judged. */
  judged: () => number
  /** Components put aside since the last call, with the metrics whose scorer history they need. */
  deferred: () => Array<{ component: Component; metrics: MetricName[] }>
  /** What the run creates, updates and resolves, components in the order they first reported. */
  plan: () => Plan
}

interface ComponentPlan {
  component: Component
  signals: PlannedSignal[]
  resolutions: Resolution[]
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function reportedFirst({ component: a }: ComponentPlan, { component: b }: ComponentPlan): number {
  return (
    a.firstReportedAt - b.firstReportedAt ||
    byText(a.organizationId ?? '', b.organizationId ?? '') ||
    byText(a.componentName, b.componentName)
  )
}

export interface PlannerContext {
  /** Signals resolved lately (by healing, a person or the detector): their evidence does not reopen them. */
  resolved?: RecentResolution[]
  /** Signals the detector auto-resolved within DETECT_REOPEN_MINUTES: a new breach reopens them. */
  reopenable?: ReopenableSignal[]
}

/**
 * Decides what this run creates, updates and resolves, one component at a time, so the detector
 * can judge each component as it is read. Only components with something to change are kept.
 */
export function createPlanner(
  active: ActiveSignal[],
  resolutions: ResolutionCount[],
  windowStart: number,
  at: Date,
  settings: DetectorSettings,
  context: PlannerContext = {}
): Planner {
  const flaps = new Map(
    resolutions.map(row => [key(row.organization_id, row.source_component_name, row.anomaly_type), row.resolutions])
  )
  const resolvedAt = new Map(
    (context.resolved ?? []).map(row => [
      key(row.organization_id, row.source_component_name, row.anomaly_type),
      row.resolved_at
    ])
  )
  const reopenable = new Map(
    (context.reopenable ?? []).map(row => [key(row.organization_id, row.source_component_name, row.anomaly_type), row])
  )
  let deferred: Array<{ component: Component; metrics: MetricName[] }> = []
  const activeByComponent = new Map<string, ActiveSignal[]>()
  for (const signal of active) {
    const id = componentKey(signal.organization_id, signal.source_component_name)
    activeByComponent.set(id, [...(activeByComponent.get(id) ?? []), signal])
  }
  const changes: ComponentPlan[] = []
  let judged = 0
  const judge = (component: Component, adaptiveScores: AdaptiveScores = {}): void => {
    const signals: PlannedSignal[] = []
    const closed: Resolution[] = []
    // The unique index allows one active signal per organization, component and type.
    const activeHere = activeByComponent.get(componentKey(component.organizationId, component.componentName)) ?? []
    const activeOf = (type: string): ActiveSignal | undefined => activeHere.find(signal => signal.anomaly_type === type)
    // Keyed by metric and type: traffic is judged by two rules, a resource type by three metrics.
    // A caller's own signal on a metric, of a type no rule has, recovers by the metric's first rule.
    const evaluations = new Map<string, MetricEvaluation>()
    const firstOfMetric = new Map<string, MetricEvaluation>()
    const findings = new Map<string, Finding>()
    const needing = new Set<MetricName>()
    for (const name of RULE_NAMES) {
      const rule = settings.rules[name]
      const type = rule.anomalyType
      const evaluation = evaluateMetric(
        {
          rule: name,
          ...component.series[rule.metric],
          adaptiveScores: adaptiveScores[rule.metric],
          windowStart,
          at: at.getTime(),
          ongoing: activeOf(type)?.metric === rule.metric
        },
        settings
      )
      evaluations.set(evaluationKey(rule.metric, type), evaluation)
      if (!firstOfMetric.has(rule.metric)) firstOfMetric.set(rule.metric, evaluation)
      if (evaluation.needsAdaptiveScores === true) needing.add(rule.metric)
      const finding = evaluation.finding
      if (finding === null) continue
      const previous = findings.get(type)
      findings.set(type, previous === undefined ? finding : worse(previous, finding))
    }
    if (needing.size > 0) {
      deferred.push({ component, metrics: [...needing] })
      return
    }
    judged++
    const updated = new Set<string>()
    for (const [type, finding] of findings) {
      const existing = activeOf(type)
      // A breach already counted (still inside the window) is not a repeat.
      if (existing !== undefined && finding.lastBreachAt <= (existing.last_observed_at ?? existing.detected_at))
        continue
      // Nor is a breach from before the last resolution: it is the evidence that signal already had.
      if (
        existing === undefined &&
        finding.lastBreachAt <=
          (resolvedAt.get(key(component.organizationId, component.componentName, type)) ?? -Infinity)
      )
        continue
      updated.add(type)
      // An incident that comes back soon after recovering is the one already reported: its signal
      // reopens, and each return counts as a flap, as a new opening would have.
      const signalKey = key(component.organizationId, component.componentName, type)
      const reopening = existing === undefined ? reopenable.get(signalKey) : undefined
      const flapping =
        existing === undefined &&
        ((flaps.get(signalKey) ?? 0) >= settings.flapResolutions ||
          (reopening !== undefined && reopening.reopened + 1 >= settings.flapResolutions))
      signals.push({
        draft: draftOf(finding, component, at, windowStart, flapping),
        finding,
        component,
        opens: existing === undefined && reopening === undefined,
        ...(reopening === undefined ? {} : { reopens: reopening.id })
      })
    }
    for (const signal of activeHere) {
      // A breach already counted may still sit in the window; only the points' times decide.
      if (signal.metric === null || updated.has(signal.anomaly_type)) continue
      const evaluation =
        evaluations.get(evaluationKey(signal.metric, signal.anomaly_type)) ?? firstOfMetric.get(signal.metric)
      if (evaluation?.newestAt === null || evaluation === undefined) continue
      const normalSince = Math.max(signal.last_observed_at ?? signal.detected_at, evaluation.lastAbnormalAt ?? 0)
      const holdMinutes = signal.flapping ? settings.flapHoldMinutes : settings.recoveryMinutes
      if (evaluation.newestAt - normalSince < holdMinutes * 60_000) continue
      closed.push({
        id: signal.id,
        notes: `Auto-resolved by the detector: ${signal.metric} has stayed normal for ${Math.round((evaluation.newestAt - normalSince) / 60_000)} minutes (recovery window ${holdMinutes} minutes${signal.flapping ? ', held longer because the signal was flapping' : ''}).`
      })
    }
    if (signals.length > 0 || closed.length > 0) changes.push({ component, signals, resolutions: closed })
  }
  return {
    judge,
    judged: () => judged,
    deferred: () => {
      const taken = deferred
      deferred = []
      return taken
    },
    plan: () => {
      const ordered = [...changes].sort(reportedFirst)
      return {
        signals: ordered.flatMap(change => change.signals),
        resolutions: ordered.flatMap(change => change.resolutions)
      }
    }
  }
}

/**
 * Plans a run over components already in memory, their history raw: a metric that needs the
 * adaptive score gets it from a fresh scorer fed its history and window, never from a stored state.
 */
export function planSignals(
  components: Component[],
  active: ActiveSignal[],
  resolutions: ResolutionCount[],
  windowStart: number,
  at: Date,
  settings: DetectorSettings,
  context: PlannerContext = {}
): Plan {
  const planner = createPlanner(active, resolutions, windowStart, at, settings, context)
  for (const component of components) planner.judge(component)
  for (const { component, metrics } of planner.deferred()) {
    const scores = Object.fromEntries(
      metrics.map(metric => {
        const { history, window } = component.series[metric]
        return [metric, scoresInMemory(history, window, settings.adaptiveHistoryPoints)]
      })
    )
    planner.judge(component, scores)
  }
  return planner.plan()
}
