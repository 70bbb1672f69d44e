// A labelled day of health events for replays: several components reporting every few minutes,
// each event carrying its measurement window (so its event time is when it was measured), with
// incidents laid into it at known times: latency in the three shapes the seed names, traffic
// falling away (an outage upstream) and traffic flooding in (a retry storm). The replay benchmark and the event-time tests import it
// through the batch API and detect over it with `at`.
import type { HealthEventInputBody } from '../../src/schemas/health-events.js'

export type IncidentShape = 'sudden_spike' | 'gradual_increase' | 'sustained_high' | 'traffic_drop' | 'traffic_surge'

/** The anomaly type the detector should report for an incident of this shape. */
export function expectedAnomalyType(shape: IncidentShape): string {
  return shape === 'traffic_drop' || shape === 'traffic_surge' ? shape : 'latency_spike'
}

export interface IncidentPlan {
  component: string
  shape: IncidentShape
  /** Minutes after the day's start. */
  startMinute: number
  /** How long it lasts; a sudden spike is one point whatever this says. */
  minutes: number
}

export interface Incident extends IncidentPlan {
  start: number
  end: number
}

export interface DayPlan {
  /** The day's last measurement, on a whole minute. */
  end: Date
  hours: number
  stepMinutes: number
  components: string[]
  incidents: IncidentPlan[]
}

export interface LabelledDay {
  /** Oldest first. */
  events: HealthEventInputBody[]
  incidents: Incident[]
  start: number
  end: number
}

const MINUTE = 60_000

/** Deterministic noise in [-1, 1]. */
function wobble(i: number): number {
  return (((i * 7919) % 23) - 11) / 11
}

function latencyFactor(incident: Incident | undefined, t: number, stepMs: number): number {
  if (incident === undefined || t < incident.start || t > incident.end) return 1
  switch (incident.shape) {
    case 'sudden_spike':
      return t < incident.start + stepMs ? 4.4 : 1
    // A steady climb to five times the usual over the incident, no step carrying it.
    case 'gradual_increase':
      return 1 + (4 * (t - incident.start + stepMs)) / (incident.end - incident.start + stepMs)
    case 'sustained_high':
      return 3
    case 'traffic_drop':
    case 'traffic_surge':
      return 1
  }
}

// While traffic is lost, a twentieth of it still arrives; a retry storm triples it.
function throughputFactor(incident: Incident | undefined): number {
  return incident?.shape === 'traffic_drop' ? 0.05 : incident?.shape === 'traffic_surge' ? 3 : 1
}

export function labelledDay(plan: DayPlan): LabelledDay {
  const stepMs = plan.stepMinutes * MINUTE
  const points = Math.floor((plan.hours * 60) / plan.stepMinutes)
  const start = plan.end.getTime() - (points - 1) * stepMs
  const incidents = plan.incidents.map(incident => {
    // On the first measurement at or after the planned minute: a one-point spike planned between
    // two measurements would otherwise be in no event at all.
    const from = start + Math.ceil(incident.startMinute / plan.stepMinutes) * stepMs
    return {
      ...incident,
      start: from,
      end: incident.shape === 'sudden_spike' ? from : from + incident.minutes * MINUTE
    }
  })
  const events: HealthEventInputBody[] = []
  for (let i = 0; i < points; i++) {
    const t = start + i * stepMs
    plan.components.forEach((component, c) => {
      const base = 150 + 60 * c
      const incident = incidents.find(
        candidate => candidate.component === component && t >= candidate.start && t <= candidate.end
      )
      const noise = wobble(i * 5 + c)
      events.push({
        component_type: 'edge_function',
        component_name: component,
        status: 'healthy',
        latency_ms: Math.round((base + 0.04 * base * noise) * latencyFactor(incident, t, stepMs) * 100) / 100,
        error_rate: Math.round((0.5 + 0.1 * wobble(i * 3 + c)) * 100) / 100,
        cpu_usage_percent: Math.round((35 + 4 * wobble(i * 11 + c)) * 100) / 100,
        memory_usage_percent: Math.round((55 + 2 * wobble(i * 13 + c)) * 100) / 100,
        throughput_per_minute: Math.round(
          (600 + 150 * c) * (1 + 0.08 * wobble(i * 17 + c)) * throughputFactor(incident)
        ),
        measurement_window_start: new Date(t - stepMs).toISOString(),
        measurement_window_end: new Date(t).toISOString(),
        measurement_window_seconds: stepMs / 1000
      })
    })
  }
  return { events, incidents, start, end: plan.end.getTime() }
}

/** The evaluation times of a replay: every `stepMinutes` from `from` through `through`. */
export function evaluationSteps(from: number, through: number, stepMinutes: number): number[] {
  const steps: number[] = []
  for (let t = from; t <= through; t += stepMinutes * MINUTE) steps.push(t)
  return steps
}
