// The anomaly detector (seed 2.2) behind POST /v1/anomalies/detect and the detect job: reads the
// health events of the lookback and the window, judges every component's metrics, writes the
// resulting signal changes as the service role, links overlapping signals, analyses the new ones
// within the run's time budget, and records the run in decision_audit_log. With `at` it runs as
// if it were then: nothing recorded after `at` is read. The history before the last hours comes
// from the hourly rollup (health_event_rollups) where it covers the lookback; raw events are read
// for the rest, which always includes the window and the longest recovery hold.
import { performance } from 'node:perf_hooks'
import { SERVICE_CALLER } from '../../db/caller.js'
import { recordDecisions, type DecisionRecord } from '../../db/decision-audit-log.js'
import type { UpsertedSignal } from '../../db/active-signals.js'
import {
  activeSignals,
  linkOverlapping,
  recentAutoResolutions,
  recentResolutions,
  resolveSignals,
  signalsById,
  storeAnalyses,
  upsertSignals
} from '../../db/detection-signals.js'
import { forEachComponentSeries, recentErrorText, scorerHistories } from '../../db/health-series.js'
import { floorHour, rollupCoverage, type RollupCoverage } from '../../db/health-event-rollups.js'
import type { Db } from '../../db/port.js'
import type { AnomalyRow } from '../../schemas/anomalies.js'
import type { RelatedAnomaly, RootCauseAnalyzer } from '../analysis/index.js'
import { executorTypes } from '../healing/executors/registry.js'
import { createAdaptiveBudget } from './adaptive.js'
import { analyseSignals, type AnalysisTarget } from './analysis.js'
import { componentOf, createPlanner, type PlannedSignal } from './signals.js'
import { detectorSettings, type DetectorOverrides, type DetectorSettings } from './settings.js'
import type { Severity } from './severity.js'
import { publishRunDuration } from '../../telemetry.js'

export interface DetectionRequest {
  windowMinutes?: number | undefined
  componentName?: string | undefined
  analyze?: boolean | undefined
  /** Evaluate as if it were this time (backtesting). */
  at?: string | undefined
  /** Who asked, for the audit log: a user id, 'service' or 'detect-job'. */
  actor?: string | undefined
}

export interface DetectionRun {
  evaluated_at: string
  window_start: string
  window_minutes: number
  backtest: boolean
  components_evaluated: number
  created: number
  updated: number
  resolved: number
  analysed: number
  duration_ms: number
  /** The signals this run created, updated or resolved, as stored. */
  signals: AnomalyRow[]
}

export interface DetectorDeps {
  db: Db
  analyzer: RootCauseAnalyzer
  settings?: DetectorOverrides
}

const MINUTE_MS = 60_000

function relatedTo(planned: PlannedSignal, all: PlannedSignal[], at: Date): RelatedAnomaly[] {
  return all
    .filter(
      other =>
        other.component.organizationId === planned.component.organizationId &&
        other.component.componentName !== planned.component.componentName
    )
    .slice(0, 5)
    .map(other => ({
      component_name: other.component.componentName,
      anomaly_type: other.finding.rule.anomalyType,
      severity: other.finding.severity as Severity,
      metric_name: other.finding.metric,
      observed_value: other.finding.peak.v,
      detected_at: at.toISOString()
    }))
}

/**
 * Where the rolled-up history ends for this run, or null to read it all raw: the rollup must cover
 * the lookback's first hour, and raw events are kept for the window and the longest recovery hold
 * (whose exact times auto-resolution needs).
 */
function rolledUntilFor(
  coverage: RollupCoverage | null,
  from: number,
  windowStart: number,
  at: number,
  settings: DetectorSettings
): Date | null {
  if (coverage === null || coverage.rolled_from.getTime() > floorHour(from)) return null
  const rawFrom = Math.min(windowStart, at - Math.max(settings.recoveryMinutes, settings.flapHoldMinutes) * MINUTE_MS)
  const until = Math.min(coverage.rolled_until.getTime(), floorHour(rawFrom))
  return until > from ? new Date(until) : null
}

export async function runDetection(deps: DetectorDeps, request: DetectionRequest = {}): Promise<DetectionRun> {
  const started = performance.now()
  const settings = detectorSettings({
    ...deps.settings,
    ...(request.windowMinutes === undefined ? {} : { windowMinutes: request.windowMinutes })
  })
  const at = request.at === undefined ? new Date() : new Date(request.at)
  const windowStart = at.getTime() - settings.windowMinutes * MINUTE_MS
  const from = new Date(windowStart - settings.lookbackHours * 60 * MINUTE_MS)
  const { db } = deps

  const budget = createAdaptiveBudget(settings.adaptiveBudgetMs)
  const { planner, rolledUntil } = await db.asCaller(SERVICE_CALLER, async tx => {
    const active = await activeSignals(tx, at, request.componentName)
    const resolutions = await recentAutoResolutions(
      tx,
      new Date(at.getTime() - settings.flapWindowMinutes * MINUTE_MS),
      at
    )
    const resolved = await recentResolutions(tx, new Date(windowStart), at)
    const rolledUntil = rolledUntilFor(await rollupCoverage(tx), from.getTime(), windowStart, at.getTime(), settings)
    const planner = createPlanner(active, resolutions, windowStart, at, settings, { budget, resolved })
    // Each component is judged as it arrives, while PostgreSQL is still aggregating the next ones.
    await forEachComponentSeries(tx, from, new Date(windowStart), at, request.componentName, rolledUntil, series => {
      planner.judge(componentOf(series, from.getTime()))
    })
    // The few metrics that stand out and need the scorer's replay of raw history the rollup holds only as quantiles.
    const deferred = planner.deferred()
    const requests = deferred.flatMap(({ component, metrics }) => metrics.map(metric => ({ component, metric })))
    const histories = await scorerHistories(
      tx,
      requests.map(({ component, metric }) => ({
        organization_id: component.organizationId,
        component_name: component.componentName,
        metric
      })),
      from,
      new Date(windowStart),
      settings.adaptiveHistoryPoints
    )
    requests.forEach(({ component, metric }, i) => {
      component.series[metric].scorerHistory = histories[i]
    })
    for (const { component } of deferred) planner.judge(component)
    return { planner, rolledUntil }
  })
  const plan = planner.plan()
  const evaluated = planner.judged()

  const written = await db.asCaller(SERVICE_CALLER, async tx => {
    const upserted = await upsertSignals(
      tx,
      plan.signals.map(planned => planned.draft)
    )
    const resolved = await resolveSignals(tx, plan.resolutions, at)
    await linkOverlapping(
      tx,
      upserted.map(row => row.id),
      at,
      settings.correlationSlackMinutes
    )
    return { upserted, resolved }
  })

  // Drafts and rows meet again by their key: the upsert returns rows in no promised order.
  const plannedByKey = new Map(
    plan.signals.map(planned => [
      JSON.stringify([planned.component.organizationId, planned.component.componentName, planned.draft.anomaly_type]),
      planned
    ])
  )
  const plannedOf = (row: UpsertedSignal): PlannedSignal | undefined =>
    plannedByKey.get(JSON.stringify([row.organization_id, row.source_component_name, row.anomaly_type]))
  const opened = written.upserted.filter(row => row.inserted)

  const analyse = request.analyze ?? true
  const targets: AnalysisTarget[] = []
  if (analyse && opened.length > 0) {
    await db.asCaller(SERVICE_CALLER, async tx => {
      for (const row of opened) {
        const planned = plannedOf(row)
        if (planned === undefined) continue
        targets.push({
          row,
          finding: planned.finding,
          componentType: planned.component.componentType,
          eventText: await recentErrorText(tx, planned.component, new Date(windowStart), at),
          related: relatedTo(planned, plan.signals, at)
        })
      }
    })
  }
  const analyses = await analyseSignals(
    deps.analyzer,
    targets,
    executorTypes(),
    started + settings.runBudgetMs,
    settings.maxLlmAnalyses
  )

  const ids = [...written.upserted.map(row => row.id), ...written.resolved.map(row => row.id)]
  const signals = await db.asCaller(SERVICE_CALLER, async tx => {
    await storeAnalyses(tx, analyses)
    const durationMs = Math.round(performance.now() - started)
    const runInput = {
      window_minutes: settings.windowMinutes,
      component_name: request.componentName ?? null,
      analyze: analyse,
      at: at.toISOString(),
      backtest: request.at !== undefined
    }
    const adaptive = {
      budget_ms: settings.adaptiveBudgetMs,
      spent_ms: Math.round(budget.spentMs),
      scored: budget.scored,
      skipped_over_budget: budget.skipped
    }
    const overBudget =
      budget.skipped > 0
        ? `; the adaptive scoring budget of ${settings.adaptiveBudgetMs} ms was spent, so ${budget.skipped} metrics were judged by rules and baselines only`
        : ''
    const records: DecisionRecord[] = [
      {
        decision_type: 'anomaly_detection_run',
        component: 'detector',
        input: runInput,
        decision: {
          components_evaluated: evaluated,
          created: opened.map(row => row.id),
          updated: written.upserted.filter(row => !row.inserted).map(row => row.id),
          resolved: written.resolved.map(row => row.id),
          history: { rolled_up_until: rolledUntil?.toISOString() ?? null },
          adaptive
        },
        outcome: `${opened.length} created, ${written.upserted.length - opened.length} updated, ${written.resolved.length} resolved`,
        reasoning: `${evaluated} components judged over ${settings.windowMinutes} minutes against ${settings.lookbackHours} h of history${rolledUntil === null ? '' : ` (rolled up into hours until ${rolledUntil.toISOString()})`}${overBudget}`,
        actor: request.actor ?? 'service',
        duration_ms: durationMs
      },
      ...opened.map((row): DecisionRecord => ({
        decision_type: 'anomaly_detected',
        component: 'detector',
        subject_type: 'anomaly_signal',
        subject_id: row.id,
        user_id: row.user_id,
        organization_id: row.organization_id,
        input: runInput,
        decision: {
          anomaly_type: row.anomaly_type,
          severity: row.severity,
          flapping: row.flapping,
          pattern_type: row.pattern_type
        },
        outcome: row.flapping ? 'opened, flapping: held open' : 'opened',
        reasoning: row.anomaly_description,
        confidence_score: row.confidence_score,
        actor: request.actor ?? 'service'
      })),
      ...written.resolved.map((row): DecisionRecord => ({
        decision_type: 'anomaly_auto_resolved',
        component: 'detector',
        subject_type: 'anomaly_signal',
        subject_id: row.id,
        user_id: row.user_id,
        organization_id: row.organization_id,
        input: runInput,
        outcome: 'resolved',
        reasoning: row.resolution_notes,
        actor: request.actor ?? 'service'
      }))
    ]
    await recordDecisions(tx, records)
    return await signalsById(tx, ids)
  })

  const durationMs = performance.now() - started
  publishRunDuration({ kind: 'detection', seconds: durationMs / 1000 })
  return {
    evaluated_at: at.toISOString(),
    window_start: new Date(windowStart).toISOString(),
    window_minutes: settings.windowMinutes,
    backtest: request.at !== undefined,
    components_evaluated: evaluated,
    created: opened.length,
    updated: written.upserted.length - opened.length,
    resolved: written.resolved.length,
    analysed: analyses.length,
    duration_ms: Math.round(durationMs),
    signals
  }
}
