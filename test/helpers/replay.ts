// Importing health events through the batch API and replaying the detector over them with `at`,
// as a team warming baselines or backtesting would: the event-time tests' common moves.
import type { Sql } from '../../src/db/client.js'
import type { HealthEventInputBody } from '../../src/schemas/health-events.js'
import type { TestApp } from './app.js'

export const BATCH_LIMIT = 1000

/** Posts `events` to /v1/health-events/batch in batches of at most `size`, failing on anything but 201. */
export async function importEvents(ctx: TestApp, events: HealthEventInputBody[], size = BATCH_LIMIT): Promise<void> {
  for (let i = 0; i < events.length; i += size) {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/health-events/batch',
      headers: ctx.service.headers,
      payload: { events: events.slice(i, i + size) }
    })
    if (res.statusCode !== 201) throw new Error(`batch import answered ${res.statusCode}: ${res.body}`)
  }
}

export interface RunSignal {
  anomaly_type: string
  source_component_name: string | null
  pattern_type: string | null
}

/**
 * POST /v1/anomalies/detect at `at`, without the LLM (`analyze` adds the rule-based analysis);
 * the signals the run created or updated.
 */
export async function detectAt<Signal = RunSignal>(ctx: TestApp, at: number, analyze = false): Promise<Signal[]> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies/detect',
    headers: ctx.service.headers,
    payload: { at: new Date(at).toISOString(), analyze }
  })
  if (res.statusCode !== 200) throw new Error(`detect answered ${res.statusCode}: ${res.body}`)
  return (res.json() as { signals: Signal[] }).signals
}

export interface SignalAnalysis {
  anomaly_summary: string
  root_cause_analysis: string
  recommended_actions: unknown
}

/** GET /v1/anomalies/{id} as the admin: the signal with the analysis the run stored. */
export async function analysisOf(ctx: TestApp, signal: { id: string } | undefined): Promise<SignalAnalysis> {
  const res = await ctx.app.inject({
    method: 'GET',
    url: `/v1/anomalies/${signal?.id ?? ''}`,
    headers: ctx.admin.headers
  })
  return res.json()
}

export interface StoredSignal {
  anomaly_type: string
  source_component_name: string
  pattern_type: string
  opened_at: number
  resolved_at: number | null
}

/** Every signal the replays left, when it opened and when the recovery hold closed it, in a fixed order. */
export async function storedSignals(sql: Sql): Promise<StoredSignal[]> {
  return await sql<StoredSignal[]>`
    select anomaly_type, source_component_name, pattern_type, extract(epoch from detection_timestamp)::float8 * 1000 as opened_at,
      extract(epoch from resolved_at)::float8 * 1000 as resolved_at
    from anomaly_signals order by source_component_name, anomaly_type, detection_timestamp`
}
