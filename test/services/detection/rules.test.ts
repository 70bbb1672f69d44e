// The seed's rules through real health events: each fires just above its threshold and stays
// quiet just below it, and a component with too little history gets no baseline verdict.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { createRootCauseAnalyzer } from '../../../src/services/analysis/index.js'
import { runDetection } from '../../../src/services/detection/detector.js'
import type { DetectorOverrides } from '../../../src/services/detection/settings.js'
import { evaluationTime, historyThen, insertSeries, type Metrics } from './series.js'

// The adaptive score is switched off here so that only the rule under test can fire.
const RULES_ONLY: DetectorOverrides = { adaptiveMinZ: Number.POSITIVE_INFINITY }

interface Case {
  component: string
  metric: keyof Omit<Metrics, 'last_error_message'>
  base: number
  noise: number
  peak: number
  /** The threshold it crosses, or null when it must stay quiet. */
  fires: number | null
  rule?: RegExp
  /** The anomaly type, where the metric's own (TYPES) is not it. */
  type?: string
}

const cases: Case[] = [
  { component: 'latency-2x-below', metric: 'latency_ms', base: 200, noise: 6, peak: 399, fires: null },
  {
    component: 'latency-2x-above',
    metric: 'latency_ms',
    base: 200,
    noise: 6,
    peak: 401,
    fires: 400,
    rule: /latency_ms>2x_baseline/
  },
  { component: 'latency-abs-below', metric: 'latency_ms', base: 1500, noise: 20, peak: 1999, fires: null },
  {
    component: 'latency-abs-above',
    metric: 'latency_ms',
    base: 1500,
    noise: 20,
    peak: 2001,
    fires: 2000,
    rule: /latency_ms>absolute_limit_2000/
  },
  { component: 'errors-2x-below', metric: 'error_rate', base: 1, noise: 0.1, peak: 1.99, fires: null },
  {
    component: 'errors-2x-above',
    metric: 'error_rate',
    base: 1,
    noise: 0.1,
    peak: 2.1,
    fires: 2,
    rule: /error_rate>2x_baseline/
  },
  { component: 'errors-abs-below', metric: 'error_rate', base: 3, noise: 0.1, peak: 4.99, fires: null },
  {
    component: 'errors-abs-above',
    metric: 'error_rate',
    base: 3,
    noise: 0.1,
    peak: 5.01,
    fires: 5,
    rule: /error_rate>absolute_limit_5/
  },
  { component: 'cpu-below', metric: 'cpu_usage_percent', base: 50, noise: 3, peak: 80, fires: null },
  { component: 'cpu-above', metric: 'cpu_usage_percent', base: 50, noise: 3, peak: 80.5, fires: 80 },
  { component: 'memory-below', metric: 'memory_usage_percent', base: 50, noise: 3, peak: 85, fires: null },
  { component: 'memory-above', metric: 'memory_usage_percent', base: 50, noise: 3, peak: 85.5, fires: 85 },
  { component: 'disk-below', metric: 'disk_usage_percent', base: 60, noise: 1, peak: 90, fires: null },
  { component: 'disk-above', metric: 'disk_usage_percent', base: 60, noise: 1, peak: 90.5, fires: 90 },
  // Traffic is trouble both ways, by two rules: below half its baseline, above twice it.
  { component: 'traffic-half-above', metric: 'throughput_per_minute', base: 1000, noise: 20, peak: 520, fires: null },
  {
    component: 'traffic-half-below',
    metric: 'throughput_per_minute',
    base: 1000,
    noise: 20,
    peak: 480,
    fires: 500,
    rule: /throughput_per_minute<baseline\/2/
  },
  { component: 'traffic-2x-below', metric: 'throughput_per_minute', base: 1000, noise: 20, peak: 1990, fires: null },
  {
    component: 'traffic-2x-above',
    metric: 'throughput_per_minute',
    base: 1000,
    noise: 20,
    peak: 2010,
    fires: 2000,
    rule: /throughput_per_minute>2x_baseline/,
    type: 'traffic_surge'
  },
  { component: 'latency-drop', metric: 'latency_ms', base: 400, noise: 6, peak: 20, fires: null }
]

const TYPES: Record<string, string> = {
  latency_ms: 'latency_spike',
  error_rate: 'error_rate_increase',
  throughput_per_minute: 'traffic_drop'
}

t.test('each rule fires at its threshold and not below it', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const at = evaluationTime()
  for (const c of cases)
    await insertSeries(sql, c.component, historyThen(at, 120, c.base, c.noise, [c.base, c.peak, c.base], c.metric))

  const run = await runDetection(
    { db: ctx.app.db, analyzer: createRootCauseAnalyzer(), settings: RULES_ONLY },
    { at: at.toISOString(), analyze: false }
  )
  t.equal(run.components_evaluated, cases.length)
  for (const c of cases) {
    const signal = run.signals.find(row => row.source_component_name === c.component)
    if (c.fires === null) {
      t.equal(signal, undefined, `${c.component}: ${c.peak} stays quiet`)
      continue
    }
    t.match(
      signal,
      {
        anomaly_type: c.type ?? TYPES[c.metric] ?? 'resource_exhaustion',
        threshold_exceeded: c.fires,
        observed_value: c.peak,
        status: 'open',
        detection_timestamp: at.toISOString().replace('Z', '+00:00').replace('.000', '')
      },
      `${c.component}: ${c.peak} crosses ${c.fires}`
    )
    if (c.rule !== undefined) t.match(signal?.detection_algorithm, c.rule)
    t.equal(signal?.metadata.metric, c.metric)
  }
})

t.test('warm-up: no baseline verdict on a component with too little history, absolute limits still stand', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const at = evaluationTime()
  await insertSeries(sql, 'young', historyThen(at, 10, 200, 6, [200, 900, 900, 900]))
  await insertSeries(sql, 'young-over-limit', historyThen(at, 10, 200, 6, [200, 2600, 2600]))
  await insertSeries(sql, 'seasoned', historyThen(at, 60, 200, 6, [200, 900, 900, 900]))

  const run = await runDetection(
    { db: ctx.app.db, analyzer: createRootCauseAnalyzer() },
    { at: at.toISOString(), analyze: false }
  )
  const byName = new Map(run.signals.map(row => [row.source_component_name, row]))
  t.notOk(byName.has('young'), 'a 4.5x jump after 10 points is not judged')
  t.match(byName.get('young-over-limit'), {
    threshold_exceeded: 2000,
    baseline_value: null,
    deviation_percentage: null,
    detection_algorithm: /warm-up/
  })
  const seasoned = byName.get('seasoned')
  t.match(seasoned, { baseline_value: Number, detection_algorithm: /2x_baseline/ })
  t.ok(Math.abs((seasoned?.threshold_exceeded ?? 0) - 400) < 5, 'twice its baseline of about 200 ms')
})
