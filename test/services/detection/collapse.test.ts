// A collapse of latency or CPU: requests that suddenly fail fast or skip their work, a component
// that stopped working. Neither has a threshold; the metric's adaptive score, with the value far
// below its baseline, opens a latency_drop or a cpu_drop, and a fall within the metric's noise
// stays quiet.
import t from 'tap'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { analysisOf, detectAt, importEvents } from '../../helpers/replay.js'
import type { AnomalyRow } from '../../../src/schemas/anomalies.js'
import type { HealthEventInputBody } from '../../../src/schemas/health-events.js'
import { MINUTE, wobble } from './series.js'

const POINTS = 240

interface Levels {
  latency: number
  cpu: number
}

/** Four hours of one point a minute ending at `end`; the last five at `last`, the others about `usual`. */
function events(ctx: TestApp, component: string, end: number, usual: Levels, last: Levels): HealthEventInputBody[] {
  return Array.from({ length: POINTS }, (_, i) => {
    const at = end - (POINTS - 1 - i) * MINUTE
    const levels =
      i >= POINTS - 5 ? last : { latency: usual.latency + 5 * wobble(i), cpu: usual.cpu + 3 * wobble(i + 5) }
    return {
      organization_id: ctx.admin.organizationId,
      component_type: 'edge_function',
      component_name: component,
      status: 'healthy',
      latency_ms: levels.latency,
      cpu_usage_percent: levels.cpu,
      throughput_per_minute: Math.round(1200 + 40 * wobble(i + 11)),
      measurement_window_end: new Date(at).toISOString(),
      measurement_window_seconds: 60
    }
  })
}

const USUAL: Levels = { latency: 180, cpu: 55 }

async function judged(ctx: TestApp, last: Levels): Promise<AnomalyRow[]> {
  const end = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE
  await importEvents(ctx, events(ctx, 'checkout', end, USUAL, last), 500)
  return await detectAt<AnomalyRow>(ctx, end, true)
}

t.test('latency collapsing opens a latency_drop by the adaptive score, a person asked to look', async t => {
  const ctx = await buildTestApp(t)
  const signals = await judged(ctx, { latency: 12, cpu: USUAL.cpu })
  t.equal(signals.length, 1, 'one signal: CPU and traffic did not move')
  const signal = signals[0]
  t.match(signal, {
    anomaly_type: 'latency_drop',
    anomaly_category: 'reliability',
    source_component_name: 'checkout',
    pattern_type: 'sudden_drop',
    observed_value: 12,
    baseline_value: 180,
    detection_algorithm: /^adaptive_likelihood>=0\.999&z>=4 /,
    metadata: { metric: 'latency_ms' }
  })
  t.ok((signal?.deviation_percentage ?? 0) < -90, 'the deviation is read downwards')
  t.match(signal?.anomaly_description, /^latency_ms fell to 12 ms against a robust baseline of 180 ms/)
  const analysis = await analysisOf(ctx, signal)
  t.match(analysis.anomaly_summary, /latency drop/i, 'the rule-based analysis names it')
  t.match(analysis.root_cause_analysis, /no longer doing their work/)
  t.match(analysis.recommended_actions, [{ action_type: 'alert_escalation' }], 'no executor acts: a person looks')
})

t.test('CPU collapsing opens a cpu_drop', async t => {
  const ctx = await buildTestApp(t)
  const signals = await judged(ctx, { latency: USUAL.latency, cpu: 1 })
  t.equal(signals.length, 1, 'one signal: latency and traffic did not move')
  t.match(signals[0], {
    anomaly_type: 'cpu_drop',
    anomaly_category: 'reliability',
    observed_value: 1,
    baseline_value: 55,
    detection_algorithm: /^adaptive_likelihood/,
    metadata: { metric: 'cpu_usage_percent' }
  })
  const analysis = await analysisOf(ctx, signals[0])
  t.match(analysis.root_cause_analysis, /stopped working/)
})

t.test('a fall within a few spreads of the baseline is no collapse', async t => {
  const ctx = await buildTestApp(t)
  // 180 -> 160 ms and 55 -> 50%: about two spreads each (both spreads are floored at 5% of the baseline).
  t.same(await judged(ctx, { latency: 160, cpu: 50 }), [], 'no signal')
})
