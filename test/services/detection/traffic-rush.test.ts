// A daily rush the metric has had before is no traffic_surge, though it is seven times the day's
// median: the surge rule's breach needs the metric's scorer, which has seen the rushes before,
// to confirm it. The seed's rule alone would page for it every day.
import t, { type Test } from 'tap'
import { buildTestApp, testConfig } from '../../helpers/app.js'
import { detectAt, importEvents } from '../../helpers/replay.js'
import type { AnomalyRow } from '../../../src/schemas/anomalies.js'
import type { HealthEventInputBody } from '../../../src/schemas/health-events.js'
import { MINUTE, wobble } from './series.js'

const HOUR = 60 * MINUTE

async function rushDay(t: Test, ruleConfirmScore: number): Promise<string[]> {
  const ctx = await buildTestApp(t, { detection: { ...testConfig().detection, ruleConfirmScore } })
  const end = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE
  const step = 5
  const count = (3 * 24 * 60) / step
  // 200 a minute, and every day from 9 hours before `end`'s time of day a rush to 1,400: half an
  // hour up, two hours on, half an hour down.
  const rush = (at: number): number => {
    const into = (((at - end + 9 * HOUR) % (24 * HOUR)) + 24 * HOUR) % (24 * HOUR)
    if (into >= 3 * HOUR) return 0
    return Math.min(1, into / (30 * MINUTE), (3 * HOUR - into) / (30 * MINUTE))
  }
  const events = Array.from({ length: count }, (_, i): HealthEventInputBody => {
    const at = end - (count - 1 - i) * step * MINUTE
    return {
      organization_id: ctx.admin.organizationId,
      component_type: 'edge_function',
      component_name: 'api',
      status: 'healthy',
      latency_ms: 180 + 5 * wobble(i),
      throughput_per_minute: Math.round((200 + 1200 * rush(at)) * (1 + 0.03 * wobble(i))),
      measurement_window_end: new Date(at).toISOString(),
      measurement_window_seconds: step * 60
    }
  })
  await importEvents(ctx, events, 1000)
  const opened: AnomalyRow[] = []
  for (let at = end - 24 * HOUR; at <= end; at += HOUR) opened.push(...(await detectAt<AnomalyRow>(ctx, at)))
  return opened.map(signal => signal.anomaly_type)
}

t.test('a daily rush opens nothing', async t => {
  t.same(await rushDay(t, testConfig().detection.ruleConfirmScore), [], 'the rush the metric has every day')
})

t.test('the relative rule alone would take the rush for a surge', async t => {
  t.ok((await rushDay(t, 0)).includes('traffic_surge'))
})
