// Running the detector on demand: what POST /v1/anomalies/detect takes and what a run reports.
import { Type, type Static } from 'typebox'
import { count, name, timestamp } from './fields.js'
import type { Anomaly } from './anomalies.js'

export const DetectionRequest = Type.Object(
  {
    window_minutes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1440,
        description:
          'The evaluation window, in minutes (default DETECT_WINDOW_MINUTES, 15 unless configured); baselines come from the DETECT_LOOKBACK_HOURS (24 unless configured) before it'
      })
    ),
    component_name: Type.Optional(name(200, { description: 'Judge this component only' })),
    analyze: Type.Optional(
      Type.Boolean({
        description:
          'Root-cause analysis of the signals the run opens: the LLM when configured, else rule-based (default true)'
      })
    ),
    at: Type.Optional(
      timestamp({
        description: 'A past time to evaluate as if it were then, reading only events up to it (backtesting)'
      })
    )
  },
  {
    $id: 'DetectionRequest',
    additionalProperties: false,
    examples: [
      { window_minutes: 15, analyze: true },
      { component_name: 'orchestrate-flow', at: '2025-11-20T14:00:00Z', analyze: false }
    ]
  }
)

export const DetectionRun = Type.Object(
  {
    evaluated_at: timestamp({ description: 'The time the run judged as "now": `at`, or the time it ran' }),
    window_start: timestamp(),
    window_minutes: Type.Integer(),
    backtest: Type.Boolean({ description: 'True when `at` was given' }),
    components_evaluated: count(),
    created: count(),
    updated: count(),
    resolved: count({ description: 'Signals closed because their metric stayed normal for the recovery window' }),
    analysed: count(),
    duration_ms: Type.Number(),
    signals: Type.Array(Type.Unsafe<Static<typeof Anomaly>>({ $ref: 'Anomaly#' }), {
      description: 'The signals this run created, updated or resolved'
    })
  },
  { $id: 'DetectionRun' }
)

export type DetectionRequestBody = Static<typeof DetectionRequest>
