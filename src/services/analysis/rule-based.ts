// Deterministic root-cause analysis from the anomaly's facts alone. It is what stands whenever
// the LLM is absent, slow, failing or wrong, so it never calls out and never throws. Its action
// choices follow the seed's mapping (latency critical -> restart, error rate critical ->
// rollback, resource critical -> scale up, otherwise escalate to people, as for a traffic drop
// or surge, or a latency or CPU collapse, which no executor should answer unasked).
import type { AnalysisContent, AnomalyFacts, Evidence, ProposedAction, Severity } from './types.js'

type Candidate = [action_type: string, reason: string]

const ANOMALY_LABELS: Record<string, string> = {
  latency_spike: 'latency spike',
  latency_drop: 'latency drop',
  error_rate_increase: 'error-rate increase',
  resource_exhaustion: 'resource exhaustion',
  cpu_drop: 'CPU drop',
  traffic_drop: 'traffic drop',
  traffic_surge: 'traffic surge'
}

const PATTERN_LABELS: Record<string, string> = {
  sudden_spike: 'a sudden spike',
  gradual_increase: 'a gradual increase',
  sustained_high: 'sustained high values',
  sudden_drop: 'a sudden drop',
  gradual_decrease: 'a gradual decrease',
  sustained_low: 'sustained low values'
}

const CAUSES: Record<string, Record<string, string>> = {
  latency_spike: {
    sudden_spike:
      'A sudden latency jump most often follows a deployment or configuration change, a cold start, or a slow downstream dependency such as the database or an integration.',
    gradual_increase:
      'Latency climbing steadily points to load outgrowing capacity or a slow leak: connection-pool saturation, memory pressure or a growing queue.',
    sustained_high:
      'Latency held high points to a saturated resource or a degraded dependency rather than a transient blip.',
    default: 'Requests are slower than usual; a slow dependency or a saturated resource is the usual cause.'
  },
  error_rate_increase: {
    sudden_spike:
      'A sudden rise in errors most often follows a deployment or configuration change, or a dependency that started failing.',
    gradual_increase:
      'Errors rising steadily point to a degrading dependency or a resource running out (connections, memory, quota).',
    sustained_high:
      'Errors held high point to a persistent fault: a broken release, expired credentials or a dependency outage.',
    default: 'Requests fail more often than usual; a recent change or a failing dependency is the usual cause.'
  },
  traffic_drop: {
    sudden_drop:
      'Traffic falling at once most often means requests no longer reach the component: an upstream outage, a routing, DNS or load-balancer change, a client release, or the component refusing connections before it counts them.',
    gradual_decrease:
      'Traffic declining steadily points to callers giving up (timeouts, retries exhausted), a partial routing change, or a dependency upstream slowing down.',
    sustained_low:
      'Traffic held low points to a lasting break in the path to the component, or callers that have failed over elsewhere.',
    default: 'Fewer requests than usual reach the component; a break upstream of it is the usual cause.'
  },
  latency_drop: {
    sudden_drop:
      'Latency collapsing at once most often means requests are no longer doing their work: they fail fast (an error page, a tripped circuit breaker, a dependency refusing at once), hit a cache or a stub instead of the real path, or the traffic measured is no longer the traffic served.',
    gradual_decrease:
      'Latency falling steadily, with nothing deployed to speed it up, points to work being skipped: more requests failing early, or load moving away from the component.',
    sustained_low:
      'Latency held far below its usual level points to a lasting change in what the requests do: a release or configuration that short-circuits them, or callers sending other requests than before.',
    default: 'Requests are answered much faster than usual; failing fast or skipping work is the usual cause.'
  },
  cpu_drop: {
    sudden_drop:
      'CPU falling at once most often means the component stopped working: the process exited or hangs, its work no longer reaches it (traffic moved, a queue stopped feeding it), or a scheduled job did not start.',
    gradual_decrease:
      'CPU declining steadily points to work draining away: callers giving up, a partial routing change, or a worker pool shrinking.',
    sustained_low:
      'CPU held far below its usual level points to a component that is idle when it should be busy: stuck, cut off from its input, or replaced by something else.',
    default:
      'The component uses much less CPU than usual; work no longer reaching it, or a process that stopped, is the usual cause.'
  },
  traffic_surge: {
    sudden_spike:
      'Traffic jumping at once most often comes from callers retrying in a storm after an error upstream or here, a batch job or a client release, a failover sending another region its load, or abusive or bot traffic.',
    gradual_increase:
      'Traffic climbing steadily points to organic growth or a campaign outgrowing the capacity planned, or retries that build up as responses slow.',
    sustained_high:
      'Traffic held high points to a lasting new source of load: a new caller, a moved workload, or a flood that has not stopped.',
    default: 'More requests than usual reach the component; retries, a new caller or a flood are the usual causes.'
  },
  resource_exhaustion: {
    cpu: 'CPU is saturated: load beyond provisioned capacity, or a hot loop or runaway job.',
    memory: 'Memory is nearly exhausted: a leak, an unbounded cache, or load beyond provisioned capacity.',
    disk: 'Disk is filling up: logs, temporary files or data growth without cleanup.',
    default: 'A resource is near its limit: the component runs beyond its provisioned capacity.'
  }
}

const RESOURCE_PATTERN_NOTES: Record<string, string> = {
  sudden_spike: ' The sudden jump suggests a burst of load or a runaway job.',
  gradual_increase: ' The steady climb suggests a leak or growth rather than a burst.',
  sustained_high: ' It has stayed high, so it is unlikely to recover on its own.'
}

const ACTIONS: Record<string, Partial<Record<Severity, Candidate[]>>> = {
  latency_spike: {
    critical: [
      ['restart_function', 'Restarting clears a stuck or degraded instance, the quickest relief for critical latency.'],
      ['scale_up', 'More capacity absorbs load while the cause is found.'],
      ['alert_escalation', 'Critical latency needs a person watching.']
    ],
    high: [
      ['clear_cache', 'Stale or bloated cache entries are a common cause of slow requests.'],
      ['scale_up', 'More capacity absorbs load if the cache is not the cause.']
    ],
    medium: [['alert_escalation', 'Worth a look before it grows.']]
  },
  error_rate_increase: {
    critical: [
      ['rollback_deployment', 'Errors this high most often follow a bad release.'],
      ['circuit_breaker', 'Stops failures from cascading to callers.'],
      ['alert_escalation', 'A critical error rate needs a person watching.']
    ],
    high: [
      ['circuit_breaker', 'Stops failures from cascading to callers.'],
      ['reset_connection', 'Broken connections to a dependency are a common cause of errors.']
    ],
    medium: [['alert_escalation', 'Worth a look before it grows.']]
  },
  traffic_drop: {
    critical: [['alert_escalation', 'Traffic has stopped or nearly stopped: a person should find where requests go.']],
    high: [['alert_escalation', 'Traffic has fallen sharply; no automatic remedy acts upstream of the component.']],
    medium: [['alert_escalation', 'Worth a look before it falls further.']]
  },
  latency_drop: {
    high: [['alert_escalation', 'Latency has collapsed; a person should check whether requests still do their work.']],
    medium: [['alert_escalation', 'Worth a look: requests are much faster than usual.']]
  },
  cpu_drop: {
    high: [['alert_escalation', 'CPU has collapsed; a person should check whether the component still does its work.']],
    medium: [['alert_escalation', 'Worth a look: the component is much less busy than usual.']]
  },
  traffic_surge: {
    critical: [
      [
        'alert_escalation',
        'Traffic is several times its usual level: a person should tell growth from a retry storm or a flood before capacity is added.'
      ]
    ],
    high: [['alert_escalation', 'Traffic has risen sharply; watch latency, errors and saturation for its effect.']],
    medium: [['alert_escalation', 'Worth a look before it grows.']]
  },
  resource_exhaustion: {
    critical: [
      ['scale_up', 'The component needs more capacity than it has.'],
      ['alert_escalation', 'A resource about to run out needs a person watching.']
    ],
    high: [
      ['clear_cache', 'Caches are the quickest memory and disk to reclaim.'],
      ['scale_up', 'More capacity if reclaiming is not enough.']
    ],
    medium: [['alert_escalation', 'Worth a look before it grows.']]
  }
}

const ESCALATION: Candidate = ['alert_escalation', 'No automatic remedy fits; a person should look.']

const IMPACT: Record<Severity, (name: string) => string> = {
  critical: name =>
    `Users of ${name} are likely seeing failures or timeouts now, and whatever depends on it is at risk.`,
  high: name => `Users of ${name} are likely seeing a noticeable degradation.`,
  medium: name => `Some requests to ${name} may be slower or fail; little broad impact yet.`,
  low: () => 'No broad user impact expected yet; worth watching.'
}

function format(value: number): string {
  return String(Math.round(value * 100) / 100)
}

function unit(metric: string): string {
  if (/_ms$/.test(metric)) return ' ms'
  if (/(percent|percentage|rate)$/.test(metric)) return '%'
  return ''
}

function resourceKind(metric: string): string {
  return ['cpu', 'memory', 'disk'].find(kind => metric.includes(kind)) ?? 'default'
}

function rootCause(facts: AnomalyFacts): string {
  const causes = CAUSES[facts.anomaly_type]
  const pattern = facts.pattern_type ?? 'default'
  let cause: string
  if (causes === undefined) {
    cause = `${facts.metric_name} deviates from its baseline by ${format(facts.deviation_percentage)}%; the rules name no specific cause for ${facts.anomaly_type} anomalies.`
  } else if (facts.anomaly_type === 'resource_exhaustion') {
    cause = (causes[resourceKind(facts.metric_name)] ?? causes.default ?? '') + (RESOURCE_PATTERN_NOTES[pattern] ?? '')
  } else {
    cause = causes[pattern] ?? causes.default ?? ''
  }
  const related = facts.related_anomalies
  if (related.length > 0) {
    const names = [...new Set(related.map(anomaly => anomaly.component_name))].join(', ')
    cause += ` ${related.length} related ${related.length === 1 ? 'anomaly' : 'anomalies'} at the same time (${names}) suggest a shared dependency or a cascading failure.`
  }
  const deploy = facts.recent_deployment
  // Within the hour a deploy is the first suspect; older ones are history.
  if (deploy !== null && deploy !== undefined && deploy.minutes_before <= 60) {
    cause += ` It began ${format(deploy.minutes_before)} minutes after deploy ${deploy.version} of ${facts.component_name}${deploy.previous_version === null ? '' : ` (previously ${deploy.previous_version})`}, which may have caused it.`
  }
  return cause
}

function actions(facts: AnomalyFacts, allowedActions: readonly string[]): ProposedAction[] {
  const allowed = new Set(allowedActions)
  const candidates = ACTIONS[facts.anomaly_type]?.[facts.severity] ?? []
  const chosen = candidates.filter(([type]) => allowed.has(type))
  const serious = facts.severity === 'high' || facts.severity === 'critical'
  if (chosen.length === 0 && serious && allowed.has(ESCALATION[0])) chosen.push(ESCALATION)
  return chosen.map(([action_type, reason]) => ({ action_type, reason }))
}

function businessImpact(facts: AnomalyFacts): string {
  const suffix = unit(facts.metric_name)
  return `${IMPACT[facts.severity](facts.component_name)} ${facts.metric_name} is at ${format(facts.observed_value)}${suffix} against a usual ${format(facts.baseline_value)}${suffix}.`
}

function evidence(facts: AnomalyFacts): Evidence[] {
  const metric = facts.metric_name
  const suffix = unit(metric)
  const direction = facts.deviation_percentage >= 0 ? 'above' : 'below'
  const items: Evidence[] = [
    {
      claim: `${metric} is ${format(facts.observed_value)}${suffix}, ${format(Math.abs(facts.deviation_percentage))}% ${direction} its baseline of ${format(facts.baseline_value)}${suffix}.`,
      metrics: [
        `${metric}=${format(facts.observed_value)}`,
        `baseline_value=${format(facts.baseline_value)}`,
        `deviation_percentage=${format(facts.deviation_percentage)}`
      ]
    }
  ]
  const points = facts.recent_points
  const first = points[0]
  const last = points[points.length - 1]
  if (first !== undefined && last !== undefined && points.length >= 2) {
    // A drop is described by its lowest point, a rise by its highest.
    const falling = facts.deviation_percentage < 0
    const extreme = (falling ? Math.min : Math.max)(...points.map(point => point.value))
    const pattern =
      facts.pattern_type == null ? '' : `, consistent with ${PATTERN_LABELS[facts.pattern_type] ?? facts.pattern_type}`
    items.push({
      claim: `Over the last ${points.length} points ${metric} went from ${format(first.value)} to ${format(last.value)}, ${falling ? 'falling to' : 'peaking at'} ${format(extreme)}${pattern}.`,
      metrics: [
        `${metric}.first=${format(first.value)}`,
        `${metric}.last=${format(last.value)}`,
        `${metric}.${falling ? 'min' : 'max'}=${format(extreme)}`
      ]
    })
  }
  if (facts.related_anomalies.length > 0) {
    items.push({
      claim: 'Anomalies on other components overlap this one in time.',
      metrics: facts.related_anomalies.map(anomaly =>
        anomaly.observed_value === undefined
          ? `${anomaly.component_name}.${anomaly.anomaly_type}`
          : `${anomaly.component_name}.${anomaly.metric_name ?? anomaly.anomaly_type}=${format(anomaly.observed_value)}`
      )
    })
  }
  return items
}

function summary(facts: AnomalyFacts): string {
  const label = ANOMALY_LABELS[facts.anomaly_type] ?? facts.anomaly_type.replaceAll('_', ' ')
  const severity = facts.severity[0]?.toUpperCase() + facts.severity.slice(1)
  const suffix = unit(facts.metric_name)
  const direction = facts.deviation_percentage >= 0 ? 'above' : 'below'
  const pattern =
    facts.pattern_type == null ? '' : `, showing ${PATTERN_LABELS[facts.pattern_type] ?? facts.pattern_type}`
  return `${severity} ${label} on ${facts.component_type} ${facts.component_name}: ${facts.metric_name} at ${format(facts.observed_value)}${suffix}, ${format(Math.abs(facts.deviation_percentage))}% ${direction} its baseline of ${format(facts.baseline_value)}${suffix}${pattern}.`
}

/** Always available; recommends only actions in allowedActions. */
export function ruleBasedAnalysis(facts: AnomalyFacts, allowedActions: readonly string[]): AnalysisContent {
  return {
    summary: summary(facts),
    root_cause: rootCause(facts),
    actions: actions(facts, allowedActions),
    business_impact: businessImpact(facts),
    evidence: evidence(facts)
  }
}
