// One run of the health monitor (seed 2.1, monitor-system-health), the function both
// POST /v1/monitor/run and the monitor cron job call: measure execution_log over the window,
// sample the database, take the caller's own metrics, classify each against the thresholds and
// its own latency baseline, store one health event per component, and record the run in
// decision_audit_log. Everything but the database sample happens in one transaction as the
// service role, so a run's events and its audit row are stored together or not at all.
import { randomUUID } from 'node:crypto'
import { SERVICE_CALLER, type Caller } from '../../db/caller.js'
import { recordDecision } from '../../db/decision-audit-log.js'
import { aggregateWindow, measurementWindow } from '../../db/execution-log.js'
import { previousSample, sampleDatabase } from '../../db/database-metrics.js'
import { insertHealthEventIds } from '../../db/health-events.js'
import { latencyBaselines } from '../../db/latency-baselines.js'
import type { Db } from '../../db/port.js'
import type { Identity } from '../auth/identity.js'
import { nameProblem } from '../../lib/names.js'
import { COMPONENT_NAME_MAX_LENGTH } from '../../schemas/components.js'
import type { HealthEventInputBody } from '../../schemas/health-events.js'
import type { MonitorComponentResultBody, MonitorMetricBody, MonitorRunResultBody } from '../../schemas/monitor.js'
import type { Candidate } from './candidate.js'
import { classify, rank, type HealthStatus, type LatencyBaseline } from './classify.js'
import { databaseCandidate } from './database-event.js'
import { executionCandidate, silentCandidate } from './execution-events.js'
import { manualCandidate } from './manual-events.js'
import { explainOverall, overallStatus } from './overall.js'
import type { ThresholdOverrides, Thresholds } from '../../schemas/monitor-thresholds.js'
import { resolveThresholds } from './thresholds.js'

export const DEFAULT_WINDOW_MINUTES = 5

export interface MonitorRequest {
  window_minutes?: number
  component_name?: string | undefined
  metrics?: MonitorMetricBody[] | undefined
  thresholds?: ThresholdOverrides | undefined
}

/** Whom a run acts as (always the service role: only it may write events) and who asked for it. */
export interface MonitorTrigger {
  caller: Caller
  actor: string
}

export const JOB_TRIGGER: MonitorTrigger = { caller: SERVICE_CALLER, actor: 'job:monitor' }

/** A service caller runs as itself; an admin's run is the service's, recorded with the admin as actor. */
export function triggeredBy(identity: Identity): MonitorTrigger {
  if (identity.kind === 'service')
    return { caller: identity, actor: identity.userId === null ? 'service' : `service:${identity.userId}` }
  return { caller: SERVICE_CALLER, actor: `${identity.kind}:${identity.userId ?? 'unknown'}` }
}

const key = (organizationId: string | null | undefined, type: string, name: string): string =>
  `${organizationId ?? ''}\u0000${type}\u0000${name}`

async function baselinesFor(
  tx: Parameters<typeof latencyBaselines>[0],
  candidates: Candidate[],
  end: Date,
  thresholds: Thresholds
): Promise<Map<string, LatencyBaseline>> {
  const judged = candidates
    .filter(candidate => candidate.signals.latency_p95_ms != null)
    .map(candidate => candidate.event)
  const rows = await latencyBaselines(tx, judged, {
    since: new Date(end.getTime() - thresholds.baseline.lookback_minutes * 60_000),
    maxEvents: thresholds.baseline.max_events
  })
  return new Map(rows.map(row => [key(row.organization_id, row.component_type, row.component_name), row]))
}

function countStatuses(statuses: HealthStatus[]): Record<HealthStatus, number> {
  const counts: Record<HealthStatus, number> = { healthy: 0, degraded: 0, unhealthy: 0, critical: 0, unknown: 0 }
  for (const status of statuses) counts[status] += 1
  return counts
}

export async function runMonitor(
  db: Db,
  trigger: MonitorTrigger,
  request: MonitorRequest = {}
): Promise<MonitorRunResultBody> {
  const started = performance.now()
  const runId = randomUUID()
  const thresholds = resolveThresholds(request.thresholds)
  const minutes = request.window_minutes ?? DEFAULT_WINDOW_MINUTES
  const named = request.component_name
  const sample = await sampleDatabase(db.sql, thresholds.slow_query_ms)

  return await db.asCaller(trigger.caller, async tx => {
    const window = await measurementWindow(tx, minutes)
    const aggregates = await aggregateWindow(tx, window, named)
    // execution_log is written by the platform's services directly, with names of any length and
    // character: one a health event cannot hold would fail this whole run for every organization,
    // and one with a bidirectional override would read backwards wherever shown. Such names are
    // left out of the run (counted in its audit entry), as the API refuses them.
    const measurable = aggregates.filter(
      aggregate => nameProblem(aggregate.component_name, COMPONENT_NAME_MAX_LENGTH) === undefined
    )
    const candidates = measurable.map(aggregate => executionCandidate(aggregate, window))
    if (named === undefined || named === sample.database) {
      candidates.push(databaseCandidate(sample, await previousSample(tx, sample.database), thresholds))
    }
    if (named !== undefined && candidates.length === 0) candidates.push(silentCandidate(named, window))
    candidates.push(...(request.metrics ?? []).map(manualCandidate))

    const baselines = await baselinesFor(tx, candidates, window.end, thresholds)
    const classified = candidates.map(candidate => {
      const baseline = baselines.get(
        key(candidate.event.organization_id, candidate.event.component_type, candidate.event.component_name)
      )
      const usual =
        baseline !== undefined && baseline.events >= thresholds.baseline.min_events ? baseline.latency_p95_ms : null
      return { candidate, usual, ...classify(candidate.signals, baseline, thresholds) }
    })
    const events: HealthEventInputBody[] = classified.map(({ candidate, status, reasons, usual }) => ({
      ...candidate.event,
      status,
      metadata: {
        ...candidate.event.metadata,
        monitor: {
          run_id: runId,
          source: candidate.source,
          reasons,
          baseline_latency_p95_ms: usual,
          ...candidate.facts
        }
      }
    }))
    const ids = events.length === 0 ? [] : await insertHealthEventIds(tx, events)

    const components: MonitorComponentResultBody[] = classified.map(({ candidate, status, reasons, usual }, index) => ({
      component_type: candidate.event.component_type,
      component_name: candidate.event.component_name,
      status,
      reasons,
      source: candidate.source,
      event_id: ids[index] as string,
      calls: candidate.calls,
      latency_ms: candidate.event.latency_ms ?? null,
      latency_p95_ms: candidate.event.latency_p95_ms ?? null,
      baseline_latency_p95_ms: usual,
      error_rate: candidate.event.error_rate ?? null,
      availability_percentage: candidate.event.availability_percentage ?? null,
      throughput_per_minute: candidate.event.throughput_per_minute ?? null
    }))
    const statuses = components.map(component => component.status)
    const overall = overallStatus(statuses, thresholds.overall_worst_share)
    const unhealthy = components
      .filter(component => rank(component.status) > 0)
      .sort((a, b) => rank(b.status) - rank(a.status) || a.component_name.localeCompare(b.component_name))
    const statusCounts = countStatuses(statuses)
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000

    await recordDecision(tx, {
      decision_type: 'health_monitoring',
      component: 'monitor',
      input: {
        run_id: runId,
        window: { start: window.start.toISOString(), end: window.end.toISOString(), minutes },
        component_name: named ?? null,
        threshold_overrides: request.thresholds ?? {},
        names_left_out: aggregates.length - measurable.length,
        measured: components.map(({ status: _status, reasons: _reasons, event_id: _id, ...measured }) => measured)
      },
      decision: {
        overall_status: overall,
        status_counts: statusCounts,
        components: components.map(({ component_type, component_name, status, reasons }) => ({
          component_type,
          component_name,
          status,
          reasons
        })),
        unhealthy_components: unhealthy.map(({ component_type, component_name, status }) => ({
          component_type,
          component_name,
          status
        })),
        events_created: ids.length
      },
      outcome: overall,
      reasoning: explainOverall(statuses, thresholds.overall_worst_share),
      actor: trigger.actor,
      duration_ms: durationMs
    })

    return {
      run_id: runId,
      overall_status: overall,
      window: { start: window.start.toISOString(), end: window.end.toISOString(), minutes },
      status_counts: statusCounts,
      components,
      unhealthy_components: unhealthy,
      events_created: ids.length,
      duration_ms: durationMs,
      thresholds
    }
  })
}
