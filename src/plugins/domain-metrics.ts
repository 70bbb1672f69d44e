// The metrics an SRE alerts on, beside the HTTP and job metrics of the metrics plugin. State
// (open anomalies, unfinished actions, breakers, the healing mode) is read from PostgreSQL at
// scrape time in one aggregate statement, shared by every gauge of the scrape and cached
// briefly so several scrapers cost one read; events (escalations, LLM calls, attempts, run
// durations, refused events) are counted as they happen, from the telemetry channels.
// Labels never name an organization, component or user: counts across tenants only.
// With several workers the primary merges every worker's registry: the gauges read from the
// database say the same in each, so the merge takes one worker's value ('first') instead of
// the sum; the counters and histograms, counted where the work happened, are summed.
import type { Channel, ChannelListener } from 'node:diagnostics_channel'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram } from 'prom-client'
import { SERVICE_CALLER, withCaller } from '../db/caller.js'
import { readOperationalGauges, type OperationalGauges } from '../db/operational-gauges.js'
import type { SelftestAnomalyType } from '../db/selftest-signals.js'
import type { AnomalyType } from '../services/detection/rules.js'
import { PREDICTED_EXHAUSTION } from '../services/prediction/signal.js'
import {
  channels,
  type AttemptEvent,
  type EscalationEvent,
  type LlmCallEvent,
  type RefusedEventsEvent,
  type RunDurationEvent
} from '../telemetry.js'

const GAUGE_CACHE_MS = 5_000
const UNFINISHED = ['pending', 'pending_approval', 'approved', 'running', 'retry_scheduled'] as const
const BREAKER_STATES = ['closed', 'open', 'half_open'] as const
const MODES = ['auto', 'dry_run', 'off'] as const
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
// anomaly_type is the caller's own snake_case name on POST /v1/anomalies and an alert's
// alertname through Alertmanager, so one payload of 1000 alerts made 1000 series and a tenant
// could grow the scrape without limit. The label keeps the types the service raises itself;
// every other type is counted under `other` (GET /v1/anomalies/statistics breaks them down).
const OWN_ANOMALY_TYPES: ReadonlySet<string> = new Set<AnomalyType | SelftestAnomalyType | typeof PREDICTED_EXHAUSTION>(
  [
    'latency_spike',
    'latency_drop',
    'error_rate_increase',
    'resource_exhaustion',
    'cpu_drop',
    'traffic_drop',
    'traffic_surge',
    PREDICTED_EXHAUSTION,
    'selftest_failure',
    'selftest_regression'
  ]
)
const anomalyTypeLabel = (type: string): string => (OWN_ANOMALY_TYPES.has(type) ? type : 'other')

export default fp(
  async app => {
    const registers = [app.metrics.registry]
    let cached: { at: number; gauges: Promise<OperationalGauges | undefined> } | undefined
    // A failed read keeps the last values rather than failing the scrape: the HTTP and process
    // metrics still matter most when the database is what is wrong (db_pool_* shows it).
    const read = async (): Promise<OperationalGauges | undefined> => {
      const now = Date.now()
      if (cached === undefined || now - cached.at >= GAUGE_CACHE_MS) {
        cached = {
          at: now,
          // On the pool directly, not through app.db: db_pool_in_use, read in the same scrape,
          // should show the service's work, not the scrape's own read.
          gauges: withCaller(app.db.sql, SERVICE_CALLER, readOperationalGauges).catch((err: unknown) => {
            app.log.warn({ err }, 'metrics: reading the operational gauges failed')
            cached = undefined
            return undefined
          })
        }
      }
      return await cached.gauges
    }

    const openAnomalies: Gauge<'severity' | 'anomaly_type'> = new Gauge({
      name: 'core314_anomalies_open',
      help: 'Anomaly signals in status open, by severity and anomaly_type',
      labelNames: ['severity', 'anomaly_type'],
      registers,
      aggregator: 'first',
      async collect() {
        const gauges = await read()
        if (gauges === undefined) return
        openAnomalies.reset()
        for (const row of gauges.openAnomalies)
          openAnomalies.inc({ severity: row.severity, anomaly_type: anomalyTypeLabel(row.anomaly_type) }, row.count)
      }
    })
    const unfinishedActions: Gauge<'status'> = new Gauge({
      name: 'core314_recovery_actions',
      help: 'Recovery actions not finished yet, by execution_status (pending, pending_approval, approved, running, retry_scheduled)',
      labelNames: ['status'],
      registers,
      aggregator: 'first',
      async collect() {
        const gauges = await read()
        if (gauges === undefined) return
        for (const status of UNFINISHED)
          unfinishedActions.set({ status }, gauges.unfinishedActions.find(row => row.status === status)?.count ?? 0)
      }
    })
    const pendingApprovals: Gauge = new Gauge({
      name: 'core314_recovery_actions_pending_approval',
      help: "Recovery actions waiting for an admin's approval",
      registers,
      aggregator: 'first',
      async collect() {
        const gauges = await read()
        if (gauges === undefined) return
        pendingApprovals.set(gauges.unfinishedActions.find(row => row.status === 'pending_approval')?.count ?? 0)
      }
    })
    const breakers: Gauge<'state'> = new Gauge({
      name: 'core314_circuit_breakers',
      help: 'Circuit breakers by state (closed, open, half_open)',
      labelNames: ['state'],
      registers,
      aggregator: 'first',
      async collect() {
        const gauges = await read()
        if (gauges === undefined) return
        for (const state of BREAKER_STATES)
          breakers.set({ state }, gauges.breakers.find(row => row.state === state)?.count ?? 0)
      }
    })
    const mode: Gauge<'mode'> = new Gauge({
      name: 'core314_healing_mode',
      help: 'The self-healing mode: 1 for the current one (auto, dry_run, off), 0 for the others',
      labelNames: ['mode'],
      registers,
      aggregator: 'first',
      async collect() {
        const gauges = await read()
        if (gauges === undefined) return
        for (const each of MODES) mode.set({ mode: each }, gauges.mode === each ? 1 : 0)
      }
    })

    const silences: Gauge<'recurring'> = new Gauge({
      name: 'core314_silences_active',
      help: 'Silences between their start and end, by recurring (true: maintenance windows, counted between windows too)',
      labelNames: ['recurring'],
      registers,
      aggregator: 'first',
      async collect() {
        const gauges = await read()
        if (gauges === undefined) return
        for (const recurring of [true, false])
          silences.set(
            { recurring: String(recurring) },
            gauges.silencesActive.find(row => row.recurring === recurring)?.count ?? 0
          )
      }
    })
    const silenced: Gauge = new Gauge({
      name: 'core314_signals_silenced',
      help: 'Open anomaly signals a silence holds now: recorded, but nothing automatic is decided or escalated',
      registers,
      aggregator: 'first',
      async collect() {
        const gauges = await read()
        if (gauges === undefined) return
        silenced.set(gauges.signalsSilenced)
      }
    })

    const catchingUp: Gauge = new Gauge({
      name: 'core314_detection_catch_up_components',
      help: 'Components whose late events (arrived after their evaluation window) the detect job is still judging step by step',
      registers,
      aggregator: 'first',
      async collect() {
        const gauges = await read()
        if (gauges === undefined) return
        catchingUp.set(gauges.catchUp.components)
      }
    })
    const catchUpLag: Gauge = new Gauge({
      name: 'core314_detection_catch_up_lag_seconds',
      help: 'How far behind now the furthest catch-up on late events stands, in event time; 0 when none is pending',
      registers,
      aggregator: 'first',
      async collect() {
        const gauges = await read()
        if (gauges === undefined) return
        catchUpLag.set(gauges.catchUp.lagSeconds)
      }
    })

    const escalations = new Counter({
      name: 'core314_escalations_total',
      help: 'Escalations handed to people, by severity',
      labelNames: ['severity'],
      registers
    })
    const skipped = new Counter({
      name: 'core314_healing_signals_skipped_total',
      help: 'Anomaly signals a healing run could not plan or store an action for, skipped until the next run',
      registers
    })
    const notifications = new Counter({
      name: 'core314_escalation_notifications_total',
      help: 'Escalation notifications by channel kind (slack, webhook) and outcome (sent, failed)',
      labelNames: ['channel_kind', 'outcome'],
      registers
    })
    const llmCalls = new Counter({
      name: 'core314_llm_calls_total',
      help: "Root-cause analyses by outcome: answered (by the LLM), cached, or the rule-based fallback's reason",
      labelNames: ['outcome'],
      registers
    })
    const attempts = new Counter({
      name: 'core314_recovery_action_attempts_total',
      help: 'Recovery action attempts by action_type and the status they left the action in',
      labelNames: ['action_type', 'status'],
      registers
    })
    const refused = new Counter({
      name: 'core314_health_events_refused_total',
      help: 'Health events refused at ingestion, by reason (invalid, too_late, too_early)',
      labelNames: ['reason'],
      registers
    })
    const runDurations = {
      detection: new Histogram({
        name: 'core314_detection_run_duration_seconds',
        help: 'Duration of detection runs (job and POST /v1/anomalies/detect)',
        buckets: RUN_BUCKETS,
        registers
      }),
      healing: new Histogram({
        name: 'core314_healing_run_duration_seconds',
        help: 'Duration of healing runs (job and POST /v1/self-healing/run)',
        buckets: RUN_BUCKETS,
        registers
      })
    }
    // Series that exist from the start, so alert expressions over rates never read "no data".
    refused.inc({ reason: 'invalid' }, 0)
    for (const outcome of ['sent', 'failed']) {
      for (const kind of ['slack', 'webhook']) notifications.inc({ channel_kind: kind, outcome }, 0)
    }
    llmCalls.inc({ outcome: 'answered' }, 0)
    skipped.inc(0)

    const subscriptions: Array<[Channel, ChannelListener]> = [
      [
        channels.escalation,
        message => {
          const event = message as EscalationEvent
          escalations.inc({ severity: event.severity })
          for (const sent of event.notifications)
            notifications.inc({ channel_kind: sent.kind, outcome: sent.ok ? 'sent' : 'failed' })
        }
      ],
      [
        channels.healingSkip,
        () => {
          skipped.inc()
        }
      ],
      [
        channels.llmCall,
        message => {
          llmCalls.inc({ outcome: (message as LlmCallEvent).outcome })
        }
      ],
      [
        channels.attempt,
        message => {
          const event = message as AttemptEvent
          attempts.inc({ action_type: event.actionType, status: event.status })
        }
      ],
      [
        channels.refusedEvents,
        message => {
          const event = message as RefusedEventsEvent
          refused.inc({ reason: event.reason }, event.count)
        }
      ],
      [
        channels.runDuration,
        message => {
          const event = message as RunDurationEvent
          runDurations[event.kind].observe(event.seconds)
        }
      ]
    ]
    for (const [channel, handler] of subscriptions) channel.subscribe(handler)
    app.addHook('onClose', async () => {
      for (const [channel, handler] of subscriptions) channel.unsubscribe(handler)
    })
  },
  { name: 'domain-metrics', dependencies: ['metrics', 'db'] }
)
