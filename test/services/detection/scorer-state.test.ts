// The live adaptive scorer is the benchmark's: a NAB series imported through the batch API in
// event-time steps, with a detection run after each step, leaves each metric's stored scorer state
// with exactly the scores `npm run bench:nab` gives the same points (scoreSeries, a fresh state per
// file); a run feeds only the events after the stored state; and rebuilding the app between runs
// (no process state survives) detects exactly what one uninterrupted app does.
import path from 'node:path'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { scoreSeries } from '../../../src/lib/anomaly/adaptive-scorer.js'
import { recentScores, type LiveScorerState } from '../../../src/services/detection/scorer-state.js'
import { parseSeries } from '../../../bench/nab/corpus.js'
import { buildTestApp, testConfig, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { detectAt, importEvents, storedSignals } from '../../helpers/replay.js'

const MINUTE = 60_000
const NAB_FILE = 'artificialWithAnomaly/art_daily_jumpsup.csv'
// Five days of it, ending inside its labelled anomaly (rows 2787 to 3188): the last runs
// see the metric stand out, so they feed its scorer.
const FIRST = 1580
const POINTS = 1440
const STEPS = 8

// The one NAB file this test replays, kept in the repository: a clean clone has no NAB corpus beside it.
const nabDir = path.resolve(process.cwd(), 'test', 'fixtures', 'nab')

/** POINTS of the file's values from FIRST, five minutes apart, moved to end ten minutes ago (inside the lateness bound). */
function nabSeries(): { times: number[]; values: number[] } {
  const series = parseSeries(NAB_FILE, readFileSync(path.join(nabDir, NAB_FILE), 'utf8'))
  const end = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE
  const values = series.values.slice(FIRST, FIRST + POINTS)
  return { values, times: values.map((_, i) => end - (POINTS - 1 - i) * 5 * MINUTE) }
}

// Seven days of lookback, so the first run's fresh state starts at the series' first point.
const detection = { ...testConfig().detection, lookbackHours: 168 }

async function importStep(ctx: TestApp, series: ReturnType<typeof nabSeries>, step: number): Promise<number> {
  const from = Math.floor((step * POINTS) / STEPS)
  const to = Math.floor(((step + 1) * POINTS) / STEPS)
  await importEvents(
    ctx,
    series.values.slice(from, to).map((value, i) => ({
      component_type: 'edge_function',
      component_name: 'nab',
      status: 'healthy',
      latency_ms: value,
      measurement_window_start: new Date((series.times[from + i] as number) - 5 * MINUTE).toISOString(),
      measurement_window_end: new Date(series.times[from + i] as number).toISOString()
    }))
  )
  return series.times[to - 1] as number
}

interface StateRow {
  metric: string
  points_fed: number
  last_event_at: Date
  state: LiveScorerState
}

async function states(ctx: TestApp, t: Parameters<typeof ownerSql>[0]): Promise<StateRow[]> {
  return await ownerSql(t, ctx.databaseUrl)<StateRow[]>`
    select metric, points_fed::int as points_fed, last_event_at, state from detector_states order by metric`
}

t.test('the stored scorer state holds the scores the NAB bench gives the same points', async t => {
  const ctx = await buildTestApp(t, { detection })
  const series = nabSeries()
  for (let step = 0; step < STEPS; step++) await detectAt(ctx, await importStep(ctx, series, step))

  const [row] = await states(ctx, t)
  t.ok(row !== undefined, 'the latency scorer was fed and stored')
  if (row === undefined) return
  const fed = series.times.filter(time => time <= row.last_event_at.getTime()).length
  t.equal(row.points_fed, fed, 'every point up to its position fed once, from the first')
  t.ok(fed > 1100, `most of the series was scored live (${fed} points)`)
  const bench = scoreSeries(series.values.slice(0, fed), series.times.slice(0, fed))
  const index = new Map(series.times.map((time, i) => [time, i]))
  const recent = recentScores(row.state)
  t.ok(recent.length >= 500, 'the state keeps its recent scores')
  const differing = recent.filter(([time, score]) => bench[index.get(time) ?? -1] !== score)
  t.same(differing, [], 'each recent score equals the bench score of the same point')
  t.ok(
    recent.some(([, score]) => score > 0.5),
    'the scores are not all zero'
  )
})

t.test('a run feeds only the events after the stored state, and a rebuilt app detects the same', async t => {
  const series = nabSeries()
  const uninterrupted = await buildTestApp(t, { detection })
  for (let step = 0; step < STEPS; step++) await detectAt(uninterrupted, await importStep(uninterrupted, series, step))

  let restarted = await buildTestApp(t, { detection })
  const sql = ownerSql(t, restarted.databaseUrl)
  const fedPerRun: number[] = []
  for (let step = 0; step < STEPS; step++) {
    if (step > 0) {
      // A new instance: nothing of the last one's process state, the same database.
      await restarted.app.close()
      const app = await buildApp(testConfig({ databaseUrl: restarted.databaseUrl, detection }), { logger: false })
      t.teardown(() => app.close())
      restarted = { ...restarted, app }
    }
    await detectAt(restarted, await importStep(restarted, series, step))
    const [audit] = await sql<Array<{ decision: { adaptive: { points_fed: number; states_started: number } } }>>`
      select decision from decision_audit_log where decision_type = 'anomaly_detection_run' order by created_at desc limit 1`
    fedPerRun.push(audit?.decision.adaptive.points_fed ?? 0)
  }
  const [row] = await states(restarted, t)
  t.equal(
    fedPerRun.reduce((sum, n) => sum + n, 0),
    row?.points_fed,
    'the runs fed each point once between them, however many ran'
  )
  t.same(await storedSignals(sql), await storedSignals(ownerSql(t, uninterrupted.databaseUrl)), 'the same signals')
  t.same(await states(restarted, t), await states(uninterrupted, t), 'the same stored scorer states')
})
