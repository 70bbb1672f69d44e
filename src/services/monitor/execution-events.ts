// Health events from execution_log aggregates: one per function and one per integration in
// the window. Error messages and error type names are redacted before they are stored, since
// they often quote addresses, tokens or keys from the failing request.
import type { ExecutionAggregate, MeasurementWindow } from '../../db/execution-log.js'
import { redact, redactDeep } from '../redaction.js'
import { eventSignals, type Candidate } from './candidate.js'

const MAX_ERROR_MESSAGE = 1000

function windowColumns(
  window: MeasurementWindow
): Pick<Candidate['event'], 'measurement_window_start' | 'measurement_window_end' | 'measurement_window_seconds'> {
  return {
    measurement_window_start: window.start.toISOString(),
    measurement_window_end: window.end.toISOString(),
    measurement_window_seconds: window.seconds
  }
}

export function executionCandidate(aggregate: ExecutionAggregate, window: MeasurementWindow): Candidate {
  const integration = aggregate.component_type === 'integration'
  const event: Candidate['event'] = {
    organization_id: aggregate.organization_id,
    component_type: aggregate.component_type,
    component_name: aggregate.component_name,
    environment: 'production',
    availability_percentage: aggregate.availability_percentage,
    latency_ms: aggregate.latency_ms,
    latency_p50_ms: aggregate.latency_p50_ms,
    latency_p95_ms: aggregate.latency_p95_ms,
    latency_p99_ms: aggregate.latency_p99_ms,
    throughput_per_minute: aggregate.throughput_per_minute,
    error_count: aggregate.errors,
    error_rate: aggregate.error_rate,
    error_types: redactDeep(aggregate.error_types),
    last_error_message:
      aggregate.last_error_message === null ? null : redact(aggregate.last_error_message).slice(0, MAX_ERROR_MESSAGE),
    last_error_timestamp: aggregate.last_error_timestamp?.toISOString() ?? null,
    ...(integration
      ? {
          integration_name: aggregate.component_name,
          integration_success_rate: aggregate.availability_percentage,
          integration_retry_count: aggregate.retries,
          integration_timeout_count: aggregate.timeouts
        }
      : {}),
    ...windowColumns(window),
    metadata: {},
    tags: ['monitor']
  }
  return {
    source: 'execution_log',
    event,
    signals: eventSignals(event),
    calls: aggregate.calls,
    facts: { calls: aggregate.calls, retries: aggregate.retries, timeouts: aggregate.timeouts }
  }
}

/** A component asked for by name that had no calls in the window: stored as unknown (no data). */
export function silentCandidate(componentName: string, window: MeasurementWindow): Candidate {
  return {
    source: 'execution_log',
    event: {
      component_type: 'edge_function',
      component_name: componentName,
      environment: 'production',
      throughput_per_minute: 0,
      error_count: 0,
      error_types: {},
      ...windowColumns(window),
      metadata: {},
      tags: ['monitor']
    },
    signals: {},
    calls: 0,
    facts: { calls: 0 }
  }
}
