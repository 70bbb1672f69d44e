// The anomaly detector (seed 2.2) behind POST /v1/anomalies/detect and the detect job: reads the
// health events of the lookback and the window, judges every component's metrics, writes the
// resulting signal changes as the service role, links overlapping signals, analyses the new ones
// within the run's time budget, and records the run in decision_audit_log. With `at` it runs as
// if it were then: nothing recorded after `at` is read. The history before the last hours comes
// from the hourly rollup (health_event_rollups) where it covers the lookback; raw events are read
// for the rest, which always includes the window and the longest recovery hold.
import { performance } from 'node:perf_hooks'
import { SERVICE_CALLER } from '../../db/caller.js'
import { recordDecisions } from '../../db/decision-audit-log.js'
import type { UpsertedSignal } from '../../db/active-signals.js'
import {
  activeSignals,
  type AnalysisColumns,
  linkOverlapping,
  recentAutoResolutions,
  recentResolutions,
  reopenableSignals,
  reopenSignals,
  resolveSignals,
  signalsById,
  storeAnalyses,
  upsertSignals
} from '../../db/detection-signals.js'
import { saveScorerStates, scorerStates, type StoredScorerState } from '../../db/detector-states.js'
import { forEachComponentSeries, recentErrorText, scorerStreams, type ComponentScope } from '../../db/health-series.js'
import type { ComponentKey } from '../../db/organization-key.js'
import type { Tx } from '../../db/client.js'
import type { MetricName } from './rules.js'
import { floorHour, rollupCoverage, type RollupCoverage } from '../../db/health-event-rollups.js'
import type { Db } from '../../db/port.js'
import type { AnomalyRow } from '../../schemas/anomalies.js'
import type { RelatedAnomaly, RootCauseAnalyzer } from '../analysis/index.js'
import { executorTypes } from '../healing/executors/registry.js'
import { feedScorer, resumable, streamRequest, type ScoringSummary } from './scorer-state.js'
import { detectionRecords } from './audit.js'
import { analyseSignals, type AnalysisTarget } from './analysis.js'
import {
  componentOf,
  createPlanner,
  type Component,
  type Plan,
  type PlannedSignal,
  type AdaptiveScores
} from './signals.js'
import { detectorSettings, type DetectorOverrides, type DetectorSettings } from './settings.js'
import type { Severity } from './severity.js'
import { publishRunDuration } from '../../telemetry.js'
import { deploymentBefore } from '../silences/deployments.js'
import { holdIfSilenced } from '../silences/hold.js'

export interface DetectionRequest {
  windowMinutes?: number | undefined
  componentName?: string | undefined
  analyze?: boolean | undefined
  /** Evaluate as if it were this time (backtesting). */
  at?: string | undefined
  /** Who asked, for the audit log: a user id, 'service', 'detect-job' or 'detect-catch-up'. */
  actor?: string | undefined
  /** Judge only these components (a catch-up step). */
  only?: ComponentKey[] | undefined
  /** Leave these components out (their catch-up is pending: they are judged in event-time order). */
  except?: ComponentKey[] | undefined
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

/** One run's fixed facts: when it judges, over which window and history, with which settings. */
interface RunFrame {
  settings: DetectorSettings
  at: Date
  windowStart: number
  from: Date
}

function frameOf(deps: DetectorDeps, request: DetectionRequest): RunFrame {
  const settings = detectorSettings({
    ...deps.settings,
    ...(request.windowMinutes === undefined ? {} : { windowMinutes: request.windowMinutes })
  })
  const at = request.at === undefined ? new Date() : new Date(request.at)
  const windowStart = at.getTime() - settings.windowMinutes * MINUTE_MS
  return { settings, at, windowStart, from: new Date(windowStart - settings.lookbackHours * 60 * MINUTE_MS) }
}

interface Judgement {
  plan: Plan
  evaluated: number
  rolledUntil: Date | null
  scoring: ScoringSummary
}

/**
 * The deferred components' metrics get their window's adaptive scores: each metric's stored
 * scorer state is fed the events after it, and stored again.
 */
async function scoreDeferred(
  tx: Tx,
  deferred: Array<{ component: Component; metrics: MetricName[] }>,
  frame: RunFrame
): Promise<{ scores: Map<Component, AdaptiveScores>; scoring: ScoringSummary }> {
  const requests = deferred.flatMap(({ component, metrics }) =>
    metrics.map(metric => ({
      component,
      metric,
      key: { organization_id: component.organizationId, component_name: component.componentName, metric }
    }))
  )
  const at = frame.at.getTime()
  const stored = await scorerStates(
    tx,
    requests.map(request => request.key)
  )
  const resumed = stored.map(state => resumable(state, at))
  const streams = await scorerStreams(
    tx,
    requests.map((request, i) => streamRequest(request.key, resumed[i])),
    frame.from,
    frame.at,
    frame.settings.adaptiveHistoryPoints
  )
  const scores = new Map<Component, AdaptiveScores>()
  const next: StoredScorerState[] = []
  const scoring: ScoringSummary = { metrics: 0, points: 0, fresh: 0 }
  requests.forEach(({ component, metric, key }, i) => {
    const stream = streams[i] ?? { t: new Float64Array(0), v: new Float64Array(0), ids: [], last_at: null }
    const fed = feedScorer(
      key,
      resumed[i],
      stream,
      component.series[metric].window,
      frame.settings.adaptiveHistoryPoints
    )
    scores.set(component, { ...scores.get(component), [metric]: fed.scores })
    if (fed.next !== null) next.push(fed.next)
    scoring.metrics++
    scoring.points += fed.points
    if (fed.fresh) scoring.fresh++
  })
  await saveScorerStates(tx, next)
  return { scores, scoring }
}

/**
 * Phase 1, read and judge: every component's series against the active signals and recent
 * resolutions as they stood at `at`, then the few metrics that stand out, with the adaptive
 * scores their stored scorer states give.
 */
async function readAndJudge(db: Db, frame: RunFrame, scope: ComponentScope): Promise<Judgement> {
  const { settings, at, windowStart, from } = frame
  return await db.asCaller(SERVICE_CALLER, async tx => {
    const active = await activeSignals(tx, at, scope.componentName)
    const resolutions = await recentAutoResolutions(
      tx,
      new Date(at.getTime() - settings.flapWindowMinutes * MINUTE_MS),
      at
    )
    const resolved = await recentResolutions(tx, new Date(windowStart), at)
    const reopenable =
      settings.reopenMinutes > 0
        ? await reopenableSignals(tx, new Date(at.getTime() - settings.reopenMinutes * MINUTE_MS), at)
        : []
    const rolledUntil = rolledUntilFor(await rollupCoverage(tx), from.getTime(), windowStart, at.getTime(), settings)
    const planner = createPlanner(active, resolutions, windowStart, at, settings, { resolved, reopenable })
    // Each component is judged as it arrives, while PostgreSQL is still aggregating the next ones.
    await forEachComponentSeries(tx, from, new Date(windowStart), at, scope, rolledUntil, series => {
      planner.judge(componentOf(series, from.getTime()))
    })
    const deferred = planner.deferred()
    const { scores, scoring } = await scoreDeferred(tx, deferred, frame)
    for (const { component } of deferred) planner.judge(component, scores.get(component))
    return { plan: planner.plan(), evaluated: planner.judged(), rolledUntil, scoring }
  })
}

interface Written {
  upserted: UpsertedSignal[]
  resolved: AnomalyRow[]
}

/** Phase 2, write the changes: open, repeat or reopen, resolve, and link what overlaps, in one transaction. */
async function writeChanges(db: Db, plan: Plan, frame: RunFrame): Promise<Written> {
  return await db.asCaller(SERVICE_CALLER, async tx => {
    const reopened = await reopenSignals(
      tx,
      plan.signals.flatMap(planned =>
        planned.reopens === undefined ? [] : [{ ...planned.draft, id: planned.reopens }]
      )
    )
    // A signal not reopened after all (a person moved it, another run opened one meanwhile)
    // leaves its breach to open or repeat a signal as any other does: no finding is dropped.
    const reopenedIds = new Set(reopened.map(row => row.id))
    const upserted = [
      ...(await upsertSignals(
        tx,
        plan.signals
          .filter(planned => planned.reopens === undefined || !reopenedIds.has(planned.reopens))
          .map(planned => planned.draft)
      )),
      ...reopened
    ]
    // Silenced signals are recorded all the same, marked held by their silence.
    for (const row of upserted) await holdIfSilenced(tx, row, new Date(), 'detector')
    const resolved = await resolveSignals(tx, plan.resolutions, frame.at)
    await linkOverlapping(
      tx,
      upserted.map(row => row.id),
      frame.at,
      frame.settings.correlationSlackMinutes
    )
    return { upserted, resolved }
  })
}

/** Phase 3, analyse what opened: root cause for the new signals, within what remains of the run's budget. */
async function analyseOpened(
  deps: DetectorDeps,
  frame: RunFrame,
  plan: Plan,
  opened: UpsertedSignal[],
  deadline: number
): Promise<AnalysisColumns[]> {
  const { at, windowStart, settings } = frame
  // Drafts and rows meet again by their key: the upsert returns rows in no promised order.
  const plannedByKey = new Map(
    plan.signals.map(planned => [
      JSON.stringify([planned.component.organizationId, planned.component.componentName, planned.draft.anomaly_type]),
      planned
    ])
  )
  const targets: AnalysisTarget[] = []
  if (opened.length > 0) {
    await deps.db.asCaller(SERVICE_CALLER, async tx => {
      for (const row of opened) {
        const planned = plannedByKey.get(
          JSON.stringify([row.organization_id, row.source_component_name, row.anomaly_type])
        )
        if (planned === undefined) continue
        targets.push({
          row,
          finding: planned.finding,
          componentType: planned.component.componentType,
          eventText: await recentErrorText(tx, planned.component, new Date(windowStart), at),
          related: relatedTo(planned, plan.signals, at),
          deployment: await deploymentBefore(
            tx,
            planned.component.organizationId,
            planned.component.componentName,
            new Date(row.detection_timestamp)
          )
        })
      }
    })
  }
  return await analyseSignals(deps.analyzer, targets, executorTypes(), deadline, settings.maxLlmAnalyses)
}

export async function runDetection(deps: DetectorDeps, request: DetectionRequest = {}): Promise<DetectionRun> {
  const started = performance.now()
  const frame = frameOf(deps, request)
  const { settings, at, windowStart } = frame
  const analyse = request.analyze ?? true

  const judgement = await readAndJudge(deps.db, frame, {
    componentName: request.componentName,
    only: request.only,
    except: request.except
  })
  const written = await writeChanges(deps.db, judgement.plan, frame)
  const opened = written.upserted.filter(row => row.inserted)
  const analyses = analyse
    ? await analyseOpened(deps, frame, judgement.plan, opened, started + settings.runBudgetMs)
    : []

  const ids = [...written.upserted.map(row => row.id), ...written.resolved.map(row => row.id)]
  const signals = await deps.db.asCaller(SERVICE_CALLER, async tx => {
    await storeAnalyses(tx, analyses)
    const records = detectionRecords({
      input: {
        window_minutes: settings.windowMinutes,
        component_name: request.componentName ?? null,
        analyze: analyse,
        at: at.toISOString(),
        backtest: request.at !== undefined
      },
      actor: request.actor ?? 'service',
      settings,
      evaluated: judgement.evaluated,
      rolledUntil: judgement.rolledUntil,
      scoring: judgement.scoring,
      ...written,
      durationMs: Math.round(performance.now() - started)
    })
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
    components_evaluated: judgement.evaluated,
    created: opened.length,
    updated: written.upserted.length - opened.length,
    resolved: written.resolved.length,
    analysed: analyses.length,
    duration_ms: Math.round(durationMs),
    signals
  }
}
