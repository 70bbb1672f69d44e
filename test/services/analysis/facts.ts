// Builds anomaly facts for the analysis tests: a realistic latency spike, any field replaced.
import type { AnomalyFacts } from '../../../src/services/analysis/index.js'

// The executor registry's types, as the detector will pass them.
export const ALLOWED_ACTIONS = [
  'restart_function',
  'scale_up',
  'scale_down',
  'clear_cache',
  'reset_connection',
  'rollback_deployment',
  'circuit_breaker',
  'alert_escalation'
] as const

export function anomalyFacts(overrides: Partial<AnomalyFacts> = {}): AnomalyFacts {
  return {
    component_type: 'edge_function',
    component_name: 'checkout-api',
    anomaly_type: 'latency_spike',
    severity: 'high',
    metric_name: 'latency_ms',
    baseline_value: 800,
    observed_value: 2450,
    deviation_percentage: 206.25,
    pattern_type: 'sudden_spike',
    window: { start: '2025-03-01T14:00:00.000Z', end: '2025-03-01T14:15:00.000Z' },
    recent_points: [
      { timestamp: '2025-03-01T14:00:00.000Z', value: 790 },
      { timestamp: '2025-03-01T14:05:00.000Z', value: 820 },
      { timestamp: '2025-03-01T14:10:00.000Z', value: 2300 },
      { timestamp: '2025-03-01T14:15:00.000Z', value: 2450 }
    ],
    related_anomalies: [],
    event_text: ['upstream request timed out after 2000 ms'],
    ...overrides
  }
}
