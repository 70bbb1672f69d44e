// What makes two anomalies "the same" for the analysis cache: the same component (organization and
// name: one organization's analysis, prompt included, is never handed to another), type, severity,
// metric and pattern, with values equal to two significant figures. A latency of 2450 ms and one
// of 2460 ms tell the same story; 2450 ms and 4900 ms do not. Event text is left out because
// timestamps and request ids make every message unique.
import type { AnomalyFacts } from './types.js'

function roughly(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(2)) : value
}

export function anomalySignature(facts: AnomalyFacts): string {
  return JSON.stringify([
    facts.organization_id ?? null,
    facts.component_type,
    facts.component_name,
    facts.anomaly_type,
    facts.severity,
    facts.metric_name,
    facts.pattern_type ?? null,
    roughly(facts.baseline_value),
    roughly(facts.observed_value)
  ])
}
