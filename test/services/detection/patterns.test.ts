// Patterns, severity and the adaptive score on constructed series: a spike, a climb and a plateau
// are told apart; a deviation no threshold names is found by the adaptive score alone; steady and
// daily-seasonal series stay quiet.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { createRootCauseAnalyzer } from '../../../src/services/analysis/index.js'
import { runDetection } from '../../../src/services/detection/detector.js'
import type { DetectorOverrides } from '../../../src/services/detection/settings.js'
import { evaluationTime, historyThen, insertSeries, MINUTE, minutely, wobble } from './series.js'

const analyzer = createRootCauseAnalyzer()

t.test(
  'sudden_spike, gradual_increase and sustained_high are recognised, with duration, frequency and severity',
  async t => {
    const ctx = await buildTestApp(t)
    const sql = ownerSql(t, ctx.databaseUrl)
    const at = evaluationTime()
    const normal = Array.from({ length: 13 }, () => 200)
    await insertSeries(sql, 'spike', historyThen(at, 120, 200, 6, [...normal, 3000, 200, 200]))
    await insertSeries(
      sql,
      'climb',
      historyThen(
        at,
        120,
        200,
        6,
        Array.from({ length: 16 }, (_, i) => 200 + i * 160)
      )
    )
    await insertSeries(
      sql,
      'plateau',
      historyThen(
        at,
        120,
        200,
        6,
        Array.from({ length: 16 }, () => 500)
      )
    )
    await insertSeries(sql, 'blip', historyThen(at, 120, 200, 6, [...normal, 500, 200, 200]))

    const run = await runDetection({ db: ctx.app.db, analyzer }, { at: at.toISOString(), analyze: false })
    const byName = new Map(run.signals.map(row => [row.source_component_name, row]))
    t.match(byName.get('spike'), {
      pattern_type: 'sudden_spike',
      pattern_duration_seconds: 60,
      pattern_frequency: 4,
      severity: 'critical',
      observed_value: 3000
    })
    t.match(byName.get('climb'), { pattern_type: 'gradual_increase', observed_value: 2600 })
    t.ok((byName.get('climb')?.pattern_duration_seconds ?? 0) >= 15 * 60, 'a climb lasts from its start')
    // 500 ms is 1.25x the 400 ms threshold (twice the baseline): medium once, one step worse held.
    t.match(byName.get('blip'), { pattern_type: 'sudden_spike', severity: 'medium' })
    t.match(byName.get('plateau'), {
      pattern_type: 'sustained_high',
      pattern_duration_seconds: 16 * 60,
      pattern_frequency: 4,
      severity: 'high'
    })
    for (const row of run.signals) {
      t.ok(
        (row.confidence_score ?? 0) > 0.5 && (row.confidence_score ?? 0) <= 1,
        `${row.source_component_name ?? ''}: confidence from the statistics`
      )
      t.match(row, { baseline_value: Number, deviation_percentage: Number, detection_method: 'statistical' })
    }
    t.ok(
      (byName.get('plateau')?.confidence_score ?? 0) > (byName.get('blip')?.confidence_score ?? 1),
      'a persistent breach is more certain than a single point'
    )
  }
)

t.test('the adaptive score finds a shift no threshold names, and only with the score does it fire', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const at = evaluationTime()
  // 200 ms with a few ms of noise, then a lasting 300 ms: far below 2x and 2000 ms.
  await insertSeries(
    sql,
    'drifted',
    historyThen(
      at,
      240,
      200,
      3,
      Array.from({ length: 10 }, () => 300)
    )
  )

  const withoutScore: DetectorOverrides = { adaptiveScoreThreshold: 1.01 }
  const quiet = await runDetection(
    { db: ctx.app.db, analyzer, settings: withoutScore },
    { at: at.toISOString(), analyze: false }
  )
  t.same(quiet.signals, [], 'rules alone see nothing')

  const run = await runDetection({ db: ctx.app.db, analyzer }, { at: at.toISOString(), analyze: false })
  t.equal(run.signals.length, 1)
  t.match(run.signals[0], {
    anomaly_type: 'latency_spike',
    threshold_exceeded: null,
    detection_algorithm: /adaptive_likelihood/,
    severity: 'medium',
    observed_value: 300
  })
  t.ok((run.signals[0]?.metadata.adaptive_score as number) >= 0.999)
})

t.test('a steady noisy series stays quiet all day', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const at = evaluationTime()
  await insertSeries(
    sql,
    'steady',
    minutely(at, 8 * 60, i => ({
      latency_ms: 180 + 25 * wobble(i) + (i % 97 === 0 ? 60 : 0),
      error_rate: 0.8 + 0.5 * wobble(i + 5),
      cpu_usage_percent: 40 + 10 * wobble(i + 9),
      memory_usage_percent: 62 + 3 * wobble(i + 3),
      disk_usage_percent: 71 + 0.2 * wobble(i + 1)
    }))
  )
  let signals = 0
  for (let hour = 0; hour < 6; hour++) {
    const run = await runDetection(
      { db: ctx.app.db, analyzer },
      { at: new Date(at.getTime() - hour * 60 * MINUTE).toISOString(), analyze: false }
    )
    signals += run.signals.length
  }
  t.equal(signals, 0)
})

t.test('a daily cycle is judged against the same time on past days, so business hours stay quiet', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000)
  // Noon UTC today if it has passed, else yesterday's noon.
  const noon = new Date(
    today.getTime() + 12 * 60 * MINUTE < Date.now()
      ? today.getTime() + 12 * 60 * MINUTE
      : today.getTime() - 12 * 60 * MINUTE
  )
  // Four days at 5-minute steps: 100 ms at night, 450 ms from 09:00 to 17:00 UTC.
  await insertSeries(
    sql,
    'office-hours',
    minutely(
      noon,
      4 * 288,
      i => {
        const hour = new Date(noon.getTime() - (4 * 288 - 1 - i) * 5 * MINUTE).getUTCHours()
        return { latency_ms: (hour >= 9 && hour < 17 ? 450 : 100) + 8 * wobble(i) }
      },
      5 * MINUTE
    )
  )
  const settings: DetectorOverrides = { lookbackHours: 72, minHistoryPoints: 12 }

  const seasonal = await runDetection(
    { db: ctx.app.db, analyzer, settings },
    { at: noon.toISOString(), analyze: false }
  )
  t.same(seasonal.signals, [], 'noon looks like every other noon')

  const flat = await runDetection(
    { db: ctx.app.db, analyzer, settings: { ...settings, seasonalMinDays: 99, ruleConfirmScore: 0 } },
    { at: noon.toISOString(), analyze: false }
  )
  t.equal(
    flat.signals.length,
    1,
    'without the daily baseline (and the rule alone), noon is more than twice the overall median'
  )
})

t.test('on a bursty metric, twice the baseline opens a signal only where its own scorer finds it unusual', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const at = evaluationTime()
  // A day at one point a minute: 100 ms, with a burst of 240 ms every seventh minute, this
  // minute's included. Every burst is more than twice the baseline and many spreads above it.
  await insertSeries(
    sql,
    'bursty',
    minutely(at, 24 * 60, i => ({ latency_ms: (i % 7 === 6 ? 240 : 100) + 4 * wobble(i) }))
  )
  const detect = async (settings: DetectorOverrides) =>
    await runDetection({ db: ctx.app.db, analyzer, settings }, { at: at.toISOString(), analyze: false })

  const ruleAlone = await detect({ ruleConfirmScore: 0 })
  t.match(
    ruleAlone.signals,
    [{ source_component_name: 'bursty', detection_algorithm: /2x_baseline/ }],
    'the rule alone pages on an ordinary burst'
  )
  await sql`truncate anomaly_signals cascade`
  await sql`delete from detector_states`

  const confirmed = await detect({})
  t.same(confirmed.signals, [], 'its scorer has seen a thousand bursts like it: no signal')

  // The same metric's next minute at ten times its baseline: unusual for it, and paged.
  await insertSeries(sql, 'bursty', [{ at: new Date(at.getTime() + MINUTE), latency_ms: 1000 }])
  const spike = await runDetection(
    { db: ctx.app.db, analyzer },
    { at: new Date(at.getTime() + MINUTE).toISOString(), analyze: false }
  )
  t.match(
    spike.signals,
    [{ source_component_name: 'bursty', observed_value: 1000 }],
    'a burst it has not seen is paged'
  )
})
