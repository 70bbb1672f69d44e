// Turns evaluations into changes to anomaly_signals without noise: one active signal per
// organization, component and anomaly type (a repeat with new evidence updates it, an old breach
// still inside the window changes nothing), a signal resolved once its metric has stayed normal
// for the recovery window, and a component that keeps opening and closing marked flapping and
// held open longer instead of paging again.
import type { ActiveSignal, EventRow, Resolution, ResolutionCount, SignalDraft } from '../../db/detection.js'
import { evaluateMetric, type Finding, type MetricEvaluation, type SeriesPoint } from './evaluate.js'
import { METRICS, type MetricName } from './rules.js'
import { severityRank } from './severity.js'
import type { DetectorSettings } from './settings.js'

export interface Component {
  organizationId: string | null
  userId: string | null
  componentType: string
  componentName: string
  series: Record<MetricName, SeriesPoint[]>
}

export interface PlannedSignal {
  draft: SignalDraft
  finding: Finding
  component: Component
  /** No active signal existed: this opens one. */
  opens: boolean
}

export interface Plan {
  signals: PlannedSignal[]
  resolutions: Resolution[]
}

// Organization ids are UUIDs and names have no NUL, so joining on NUL keeps keys unambiguous.
const componentKey = (organizationId: string | null, componentName: string | null): string => `${organizationId ?? ''}\u0000${componentName ?? ''}`
const key = (organizationId: string | null, componentName: string | null, anomalyType: string): string =>
  `${componentKey(organizationId, componentName)}\u0000${anomalyType}`

/** Events (time-ordered) grouped per organization and component, one series per metric. */
export function groupComponents (events: EventRow[]): Component[] {
  const components = new Map<string, Component>()
  for (const event of events) {
    const id = componentKey(event.organization_id, event.component_name)
    let component = components.get(id)
    if (component === undefined) {
      component = {
        organizationId: event.organization_id,
        userId: event.user_id,
        componentType: event.component_type,
        componentName: event.component_name,
        series: Object.fromEntries(METRICS.map((metric) => [metric, []])) as unknown as Record<MetricName, SeriesPoint[]>
      }
      components.set(id, component)
    }
    // The latest event names the component's owner and type.
    component.userId = event.user_id
    component.componentType = event.component_type
    for (const metric of METRICS) {
      const value = event[metric]
      if (value !== null) component.series[metric].push({ id: event.id, t: event.t, v: value })
    }
  }
  return [...components.values()]
}

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits

function describe (finding: Finding): string {
  const { rule, metric, peak, baseline, hit, pattern } = finding
  const reference = baseline === null ? 'no baseline yet (warm-up)' : `a ${baseline.method === 'seasonal_median' ? 'same-time-of-day' : 'robust'} baseline of ${round(baseline.value, 2)}${rule.unit}`
  const crossed = hit === null ? `${round(finding.z ?? 0, 1)} robust spreads above it, flagged by the adaptive score` : `above the threshold of ${round(hit.threshold, 2)}${rule.unit}`
  return `${metric} peaked at ${round(peak.v, 2)}${rule.unit} against ${reference}, ${crossed}; ${pattern.type.replace('_', ' ')} with ${Math.round(pattern.persistence * 100)}% of the window's points breaching.`
}

function draftOf (finding: Finding, component: Component, at: Date, windowStart: number, flapping: boolean): SignalDraft {
  const { baseline, peak, hit, pattern } = finding
  return {
    user_id: component.userId,
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
    deviation_percentage: baseline === null || baseline.value === 0 ? null : round((peak.v - baseline.value) / baseline.value * 100, 2),
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

function worse (a: Finding, b: Finding): Finding {
  const order = severityRank(b.severity) - severityRank(a.severity)
  return order > 0 || (order === 0 && b.confidence > a.confidence) ? b : a
}

/** Decides what this run creates, updates and resolves. */
export function planSignals (components: Component[], active: ActiveSignal[], resolutions: ResolutionCount[], windowStart: number, at: Date, settings: DetectorSettings): Plan {
  const activeByKey = new Map(active.map((signal) => [key(signal.organization_id, signal.source_component_name, signal.anomaly_type), signal]))
  const flaps = new Map(resolutions.map((row) => [key(row.organization_id, row.source_component_name, row.anomaly_type), row.resolutions]))
  const activeByComponent = new Map<string, ActiveSignal[]>()
  for (const signal of active) {
    const id = componentKey(signal.organization_id, signal.source_component_name)
    activeByComponent.set(id, [...activeByComponent.get(id) ?? [], signal])
  }
  const plan: Plan = { signals: [], resolutions: [] }
  for (const component of components) {
    const typeKey = (type: string): string => key(component.organizationId, component.componentName, type)
    const evaluations = new Map<MetricName, MetricEvaluation>()
    const findings = new Map<string, Finding>()
    for (const metric of METRICS) {
      const type = settings.rules[metric].anomalyType
      const evaluation = evaluateMetric({
        metric,
        series: component.series[metric],
        windowStart,
        at: at.getTime(),
        ongoing: activeByKey.get(typeKey(type))?.metric === metric
      }, settings)
      evaluations.set(metric, evaluation)
      const finding = evaluation.finding
      if (finding === null) continue
      const previous = findings.get(type)
      findings.set(type, previous === undefined ? finding : worse(previous, finding))
    }
    const updated = new Set<string>()
    for (const [type, finding] of findings) {
      const existing = activeByKey.get(typeKey(type))
      // A breach already counted (still inside the window) is not a repeat.
      if (existing !== undefined && finding.lastBreachAt <= (existing.last_observed_at ?? existing.detected_at)) continue
      updated.add(type)
      const flapping = existing === undefined && (flaps.get(typeKey(type)) ?? 0) >= settings.flapResolutions
      plan.signals.push({ draft: draftOf(finding, component, at, windowStart, flapping), finding, component, opens: existing === undefined })
    }
    for (const signal of activeByComponent.get(componentKey(component.organizationId, component.componentName)) ?? []) {
      // A breach already counted may still sit in the window; only the points' times decide.
      if (signal.metric === null || updated.has(signal.anomaly_type)) continue
      const evaluation = evaluations.get(signal.metric as MetricName)
      if (evaluation?.newestAt === null || evaluation === undefined) continue
      const normalSince = Math.max(signal.last_observed_at ?? signal.detected_at, evaluation.lastAbnormalAt ?? 0)
      const holdMinutes = signal.flapping ? settings.flapHoldMinutes : settings.recoveryMinutes
      if (evaluation.newestAt - normalSince < holdMinutes * 60_000) continue
      plan.resolutions.push({
        id: signal.id,
        notes: `Auto-resolved by the detector: ${signal.metric} has stayed normal for ${Math.round((evaluation.newestAt - normalSince) / 60_000)} minutes (recovery window ${holdMinutes} minutes${signal.flapping ? ', held longer because the signal was flapping' : ''}).`
      })
    }
  }
  return plan
}
