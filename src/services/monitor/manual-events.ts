// Metrics a caller measured itself and submitted with the run: stored as health events like
// the collected ones, classified by the same rules, error messages redacted the same way.
import type { MonitorMetricBody } from '../../schemas/monitor.js'
import { redact } from '../redaction.js'
import { eventSignals, type Candidate } from './candidate.js'

export function manualCandidate(metric: MonitorMetricBody): Candidate {
  const event: Candidate['event'] = {
    ...metric,
    environment: metric.environment ?? 'production',
    last_error_message:
      metric.last_error_message == null ? metric.last_error_message : redact(metric.last_error_message),
    error_types: metric.error_types ?? {},
    metadata: metric.metadata ?? {},
    tags: metric.tags ?? []
  }
  return { source: 'manual', event, signals: eventSignals(event), calls: null, facts: {} }
}
