// Traffic, the golden signal: throughput_per_minute falling is a traffic_drop, through the same
// rules, adaptive score, patterns and severity as the other metrics, read the other way up, and
// flooding in is a traffic_surge. A daily trough the metric has had before is no incident.
import t from 'tap'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { analysisOf, detectAt, importEvents } from '../../helpers/replay.js'
import { rollUpHistory } from '../../../src/services/detection/rollup.js'
import type { AnomalyRow } from '../../../src/schemas/anomalies.js'
import type { HealthEventInputBody } from '../../../src/schemas/health-events.js'
import { MINUTE, wobble } from './series.js'

const HOUR = 60 * MINUTE

function endOfData(minutesAgo = 10): number {
  return Math.floor(Date.now() / MINUTE) * MINUTE - minutesAgo * MINUTE
}

/** One event per `stepMinutes` up to `end`, `count` of them, each measured over its step. */
function events(
  ctx: TestApp,
  component: string,
  end: number,
  count: number,
  stepMinutes: number,
  throughput: (i: number, at: number) => number
): HealthEventInputBody[] {
  return Array.from({ length: count }, (_, i) => {
    const at = end - (count - 1 - i) * stepMinutes * MINUTE
    return {
      organization_id: ctx.admin.organizationId,
      component_type: 'edge_function',
      component_name: component,
      status: 'healthy',
      latency_ms: 180 + 5 * wobble(i),
      throughput_per_minute: Math.max(0, Math.round(throughput(i, at))),
      measurement_window_end: new Date(at).toISOString(),
      measurement_window_seconds: stepMinutes * 60
    }
  })
}

const detect = (ctx: TestApp, at: number): Promise<AnomalyRow[]> => detectAt<AnomalyRow>(ctx, at, true)

/** Four hours of checkout at about 1,200 requests a minute, the last five minutes at `last`, judged at `end`. */
async function lastFiveMinutesAt(ctx: TestApp, end: number, last: number): Promise<AnomalyRow[]> {
  await importEvents(
    ctx,
    events(ctx, 'checkout', end, 240, 1, i => (i >= 235 ? last : 1200 + 40 * wobble(i))),
    500
  )
  return detect(ctx, end)
}

t.test('traffic falling to nothing opens a critical traffic_drop, through the API, and recovery closes it', async t => {
  const ctx = await buildTestApp(t)
  // Room for twenty minutes of recovery after it, still in the past.
  const end = endOfData(30)
  const signals = await lastFiveMinutesAt(ctx, end, 0)
  t.equal(signals.length, 1, 'one signal: latency did not move')
  const signal = signals[0]
  t.match(signal, {
    anomaly_type: 'traffic_drop',
    anomaly_category: 'reliability',
    severity: 'critical',
    source_component_name: 'checkout',
    pattern_type: 'sudden_drop',
    observed_value: 0,
    baseline_value: 1200,
    threshold_exceeded: 600,
    deviation_percentage: -100,
    detection_algorithm: /^rule:throughput_per_minute<baseline\/2/,
    metadata: { metric: 'throughput_per_minute' }
  })
  t.match(
    signal?.anomaly_description,
    /^throughput_per_minute fell to 0\/min against a robust baseline of 1200\/min, below the threshold of 600\/min/
  )

  const analysed = await analysisOf(ctx, signal)
  t.match(analysed.anomaly_summary, /traffic drop/i, 'the rule-based analysis names it')
  t.match(analysed.root_cause_analysis, /requests no longer reach the component/)
  t.match(analysed.recommended_actions, [{ action_type: 'alert_escalation' }], 'a person is asked to look')

  // Traffic back: five minutes of it are not yet the recovery window, twenty are.
  const recovery = end + 20 * MINUTE
  await importEvents(
    ctx,
    events(ctx, 'checkout', recovery, 20, 1, i => 1200 + 40 * wobble(i))
  )
  const statusAt = async (at: number): Promise<string> => {
    await detect(ctx, at)
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/v1/anomalies/${signal?.id ?? ''}`,
      headers: ctx.admin.headers
    })
    return (res.json() as { status: string }).status
  }
  t.equal(await statusAt(end + 5 * MINUTE), 'open', 'five minutes after it: still open')
  t.equal(await statusAt(recovery), 'resolved', 'fifteen minutes of normal traffic resolve it')
})

t.test('traffic flooding in opens a traffic_surge beside the drop rule, a person asked to look', async t => {
  const ctx = await buildTestApp(t)
  const signals = await lastFiveMinutesAt(ctx, endOfData(), 6000)
  t.equal(signals.length, 1, 'one signal: latency did not move, and traffic did not fall')
  const signal = signals[0]
  t.match(signal, {
    anomaly_type: 'traffic_surge',
    anomaly_category: 'performance',
    severity: 'critical',
    pattern_type: 'sudden_spike',
    observed_value: 6000,
    baseline_value: 1200,
    threshold_exceeded: 2400,
    deviation_percentage: 400,
    detection_algorithm: /^rule:throughput_per_minute>2x_baseline/,
    metadata: { metric: 'throughput_per_minute' }
  })
  t.match(
    signal?.anomaly_description,
    /^throughput_per_minute peaked at 6000\/min against a robust baseline of 1200\/min, above the threshold of 2400\/min/
  )
  const analysed = await analysisOf(ctx, signal)
  t.match(analysed.anomaly_summary, /traffic surge/i, 'the rule-based analysis names it')
  t.match(analysed.root_cause_analysis, /retrying in a storm/)
  t.match(analysed.recommended_actions, [{ action_type: 'alert_escalation' }], 'no capacity added unasked')
})

// Two rules judge traffic; a signal a caller reported on it, of a type of its own, still recovers.
t.test("a caller's own signal on traffic is resolved once traffic has stayed normal", async t => {
  const ctx = await buildTestApp(t)
  const end = endOfData(30)
  const reported = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies',
    headers: ctx.service.headers,
    payload: {
      organization_id: ctx.admin.organizationId,
      anomaly_type: 'checkout_orders_stalled',
      severity: 'high',
      source_type: 'orders_service',
      source_component_name: 'checkout',
      detection_timestamp: new Date(end).toISOString(),
      metadata: { metric: 'throughput_per_minute' }
    }
  })
  t.equal(reported.statusCode, 201)
  await importEvents(
    ctx,
    events(ctx, 'checkout', end + 20 * MINUTE, 260, 1, i => 1200 + 40 * wobble(i)),
    500
  )
  const changed = await detect(ctx, end + 20 * MINUTE)
  t.match(
    changed,
    [
      {
        id: (reported.json() as { id: string }).id,
        status: 'resolved',
        resolution_notes: /throughput_per_minute has stayed normal for 20 minutes/
      }
    ],
    'it is resolved, and the detector opens nothing of its own'
  )
  t.equal(changed.length, 1)
})

t.test('a drop short of half its baseline is found by the adaptive score', async t => {
  const ctx = await buildTestApp(t)
  const end = endOfData()
  // Six hours at 1,000 ± 10 a minute, then a fall to 700 over the last four minutes: 300 below,
  // six spreads (floored at 5% of the baseline).
  await importEvents(
    ctx,
    events(ctx, 'search', end, 360, 1, i => (i >= 356 ? 700 : 1000 + 10 * wobble(i))),
    500
  )
  const signals = await detect(ctx, end)
  t.match(signals, [
    {
      anomaly_type: 'traffic_drop',
      observed_value: 700,
      threshold_exceeded: null,
      detection_algorithm: /^adaptive_likelihood>=0\.999&z>=4/
    }
  ])
  t.match(signals[0]?.anomaly_description, / 6 robust spreads below it, flagged by the adaptive score/)
})

// Over the default day of lookback a cycle this deep has a spread as wide as its baseline: the
// metric's scorer, which has seen the nights before, tells the trough from an outage.
t.test('a nightly trough is no incident and an outage at the peak is', async t => {
  const ctx = await buildTestApp(t)
  // Room for the outage's half hour after it, still in the past.
  const end = endOfData(45)
  const step = 5
  const count = (3 * 24 * 60) / step
  // A day-shaped cycle: 2,000 a minute in the afternoon, 300 at night, well below half.
  const daily = (at: number): number => 1150 + 850 * Math.cos((2 * Math.PI * (at - end)) / (24 * HOUR))
  await importEvents(
    ctx,
    events(ctx, 'api', end, count, step, (i, at) => daily(at) * (1 + 0.03 * wobble(i))),
    1000
  )
  // Replay the last day hour by hour, as the detect job would have judged it.
  const opened: AnomalyRow[] = []
  for (let at = end - 24 * HOUR; at <= end; at += HOUR) opened.push(...(await detect(ctx, at)))
  t.same(
    opened.map(signal => `${signal.anomaly_type} at ${signal.observed_value}`),
    [],
    "the night's trough, which the metric has every night, opens nothing"
  )

  // The next hours, at the cycle's peak: traffic stops for half an hour.
  const outage = end + 30 * MINUTE
  await importEvents(
    ctx,
    events(ctx, 'api', outage, 6, step, (i, at) => (at > end + 5 * MINUTE ? 40 : daily(at))),
    1000
  )
  const signals = await detect(ctx, outage)
  t.match(signals, [{ anomaly_type: 'traffic_drop', source_component_name: 'api', observed_value: 40 }])
})

t.test("rolled-up hours carry the metric's history", async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const end = endOfData()
  await importEvents(
    ctx,
    events(ctx, 'checkout', end, 300, 1, i => (i >= 296 ? 0 : 900 + 30 * wobble(i))),
    500
  )
  const raw = await detect(ctx, end)
  await sql`delete from anomaly_signals`
  // A pass rolls up at most six hours, oldest first, from the start of the day's lookback.
  for (let pass = 0; pass < 5; pass++) await rollUpHistory(ctx.app.db, {}, new Date(end))
  const [hours] = await sql<Array<{ n: number; counted: number }>>`
    select count(*)::int as n, sum(throughput_per_minute_count)::int as counted from health_event_rollups`
  t.ok((hours?.n ?? 0) >= 3, 'hours were rolled up')
  t.ok((hours?.counted ?? 0) >= 180, "and count the metric's events")
  const rolled = await detect(ctx, end)
  t.equal(rolled[0]?.anomaly_type, 'traffic_drop')
  // The rollup's stated tolerance for a plain baseline (docs/detection.md): 5% of the spread.
  const spread = Number(raw[0]?.metadata.baseline_spread)
  t.ok(
    Math.abs((rolled[0]?.baseline_value ?? 0) - (raw[0]?.baseline_value ?? 0)) <= 0.05 * spread,
    `the rolled-up baseline (${rolled[0]?.baseline_value}) agrees with the raw one (${raw[0]?.baseline_value}) within 5% of ${spread}`
  )
})
