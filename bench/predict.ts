// `npm run bench:predict`: how early the forecaster warns, and how often it warns for nothing.
// The service's own planner (src/services/prediction/plan.ts, default PREDICT_* settings) is run
// as the predict job would run it, every 5 minutes of series time over the window before it,
// carrying its open alerts from run to run; only the SQL read is left out (the series are already
// 5-minute points, one per slice, as the read would give them).
//
// - Synthetic leaks and fills: memory from 40% rising 1 to 20 points an hour with noise, until
//   the 95% limit: the lead time of the first alert and of the first signal before the limit.
// - Series that never run out (flat, noisy, daily seasonal, a random walk, a rise that levels
//   off, a spike) over a week each: every alert and signal opened is false.
// - NAB (../shared/nab) where running out applies: the CPU utilisation series of
//   realAWSCloudwatch and realKnownCause. No limit is labelled, so one is set as an operator
//   would, from the probationary period only (NAB's first 15%): its highest value plus 3 robust
//   spreads, capped at 100%. An alert opened from a day before a labelled window to its end
//   counts as warning of it (its lead: how long before the window's start); any other is false.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig, type PredictionConfig } from '../src/config.js'
import type { ForecastSeries, OpenAlert } from '../src/db/predictive-alerts.js'
import { medianInPlace } from '../src/lib/forecast/theil-sen.js'
import { HOUR_MS, MINUTE_MS } from '../src/lib/time.js'
import { MAX_SLICES, planPredictions } from '../src/services/prediction/plan.js'
import { readCorpus, readWindowLabels, resolveWindows } from './nab/corpus.js'
import { reportFigure } from './support/figures.js'

const STEP_MS = 5 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS
const settings = loadConfig({}).prediction

interface Run {
  opened: number[]
  signals: number[]
}

/**
 * The read's slicing (src/db/predictive-alerts.ts): the mean time and the median value of each
 * `sliceMs` slice counted back from `at`; 5-minute points in a 6-hour window stay one per slice.
 */
function sliced(times: number[], values: number[], at: number, sliceMs: number): { t: number[]; v: number[] } {
  const t: number[] = []
  const v: number[] = []
  let i = 0
  while (i < times.length) {
    const slice = Math.floor((at - (times[i] as number)) / sliceMs)
    let j = i
    while (j < times.length && Math.floor((at - (times[j] as number)) / sliceMs) === slice) j++
    const group = values.slice(i, j)
    t.push(times.slice(i, j).reduce((sum, time) => sum + time, 0) / (j - i))
    v.push(median(group))
    i = j
  }
  return { t, v }
}

/** The predict job over one metric's points, every `STEP_MS` of series time; when alerts and signals opened. */
function simulate(times: number[], values: number[], limit: number, base: PredictionConfig = settings): Run {
  const config = { ...base, limits: { ...base.limits, memory_usage_percent: limit } }
  const windowMs = config.windowMinutes * MINUTE_MS
  const run: Run = { opened: [], signals: [] }
  let open: OpenAlert[] = []
  let signalled = false
  let from = 0
  let to = 0
  const first = times[0] ?? 0
  const last = times.at(-1) ?? 0
  for (let at = first + STEP_MS; at <= last; at += STEP_MS) {
    while (to < times.length && (times[to] as number) <= at) to++
    while (from < to && (times[from] as number) <= at - windowMs) from++
    const { t, v } = sliced(times.slice(from, to), values.slice(from, to), at, windowMs / MAX_SLICES)
    const none = t.map(() => NaN)
    const series: ForecastSeries = {
      organization_id: null,
      component_name: 'bench',
      component_type: 'bench',
      t,
      memory_usage_percent: v,
      disk_usage_percent: none,
      db_connection_count: none,
      error_rate: none
    }
    const plan = planPredictions([series], open, at, config)
    const closed = new Set(plan.closings.map(closing => closing.id))
    open = open.filter(alert => !closed.has(alert.id))
    if (open.length === 0) signalled = false
    for (const planned of plan.alerts) {
      if (open.length === 0) run.opened.push(at)
      if (planned.signal && !signalled) {
        run.signals.push(at)
        signalled = true
      }
      open = [
        {
          id: open[0]?.id ?? `alert-${at}`,
          organization_id: null,
          component_name: 'bench',
          metric_name: 'memory_usage_percent',
          forecast_target_time: (planned.draft.forecast_target_time as Date).getTime(),
          anomaly_signal_id: null
        }
      ]
    }
  }
  return run
}

/** Deterministic noise in [-0.5, 0.5) (an LCG), so every run prints the same figures. */
function noise(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    return state / 2 ** 32 - 0.5
  }
}

function sampled(hours: number, value: (hour: number, next: () => number) => number, seed: number) {
  const next = noise(seed)
  const times: number[] = []
  const values: number[] = []
  const start = Date.UTC(2026, 0, 5)
  for (let at = 0; at <= hours * HOUR_MS; at += STEP_MS) {
    times.push(start + at)
    values.push(Math.max(0, Math.min(100, value(at / HOUR_MS, next))))
  }
  return { start, times, values }
}

const median = (values: number[]): number => medianInPlace([...values])
const minutes = (ms: number | undefined): string => (ms === undefined ? 'missed' : `${Math.round(ms / MINUTE_MS)} min`)

console.log(
  `settings: window ${settings.windowMinutes} min, at least ${settings.minPoints} points, alert within ${settings.horizonHours} h at Mann-Kendall confidence >= ${settings.minConfidence}, signal within ${settings.signalHorizonMinutes} min`
)

interface Leads {
  alert: number[]
  signal: number[]
  missed: number
}

/** Leaks and fills: 12 quiet hours at 40%, then a rise at `slope` points an hour to the 95% limit and past it. */
function leakSection(config: PredictionConfig): Leads {
  console.log(
    `\nleaks and fills (40% -> 95% limit), window ${config.windowMinutes} min, median lead before the true crossing: alert / signal`
  )
  const leads: Leads = { alert: [], signal: [], missed: 0 }
  for (const slope of [1, 2, 5, 10, 20]) {
    const cells: string[] = []
    for (const amplitude of [0, 2, 6]) {
      const alertLeads: number[] = []
      const signalLeads: number[] = []
      for (let seed = 1; seed <= 5; seed++) {
        const riseHours = 55 / slope
        const { start, times, values } = sampled(
          12 + riseHours + 1,
          (hour, next) => 40 + Math.max(0, hour - 12) * slope + amplitude * 2 * next(),
          seed * 101 + slope
        )
        const crossing = start + (12 + riseHours) * HOUR_MS
        const run = simulate(times, values, 95, config)
        const alert = run.opened.find(at => at >= start + 12 * HOUR_MS)
        const signal = run.signals.find(at => at >= start + 12 * HOUR_MS)
        if (alert === undefined || alert > crossing) leads.missed++
        else alertLeads.push(crossing - alert)
        if (signal !== undefined && signal <= crossing) signalLeads.push(crossing - signal)
      }
      leads.alert.push(...alertLeads)
      leads.signal.push(...signalLeads)
      cells.push(
        `noise ±${amplitude}: ${minutes(alertLeads.length ? median(alertLeads) : undefined)} / ${minutes(signalLeads.length ? median(signalLeads) : undefined)} (${alertLeads.length}/5)`
      )
    }
    console.log(`  ${String(slope).padStart(2)} points/h  ${cells.join('   ')}`)
  }
  return leads
}

const quiet: Record<string, (hour: number, next: () => number) => number> = {
  'flat 60%': (_hour, next) => 60 + 0.5 * next(),
  'noisy 60% ±10': (_hour, next) => 60 + 20 * next(),
  'daily cycle 50±25%': (hour, next) => 50 + 25 * Math.sin((2 * Math.PI * hour) / 24) + 4 * next(),
  'daily cycle 70±20% (peaks at 90)': (hour, next) => 70 + 20 * Math.sin((2 * Math.PI * hour) / 24) + 2 * next(),
  'rise to 80% that levels off': (hour, next) => 80 - 40 * Math.exp(-hour / 6) + next(),
  'spike to 90% for 30 min daily': (hour, next) => (hour % 24 < 0.5 ? 90 : 55) + 2 * next()
}

/** Series that never run out, a week each, five seeds: every alert and signal is false. */
function quietSection(config: PredictionConfig): { alerts: number; signals: number } {
  console.log(
    `\nseries that never run out (a week each, 5 seeds), window ${config.windowMinutes} min: false alerts / false signals`
  )
  const total = { alerts: 0, signals: 0 }
  for (const [name, shape] of Object.entries(quiet)) {
    let alerts = 0
    let signals = 0
    for (let seed = 1; seed <= 5; seed++) {
      const { times, values } = sampled(7 * 24, shape, seed * 7919)
      const run = simulate(times, values, 95, config)
      alerts += run.opened.length
      signals += run.signals.length
    }
    total.alerts += alerts
    total.signals += signals
    console.log(`  ${name.padEnd(34)} ${alerts} / ${signals}`)
  }
  // A random walk may truly head for the limit: counted apart, as what it is.
  let alerts = 0
  let crossed = 0
  for (let seed = 1; seed <= 5; seed++) {
    let level = 60
    const { values, times } = sampled(
      7 * 24,
      (_hour, next) => {
        level = Math.max(20, Math.min(100, level + 0.6 * next()))
        return level
      },
      seed * 31
    )
    alerts += simulate(times, values, 95, config).opened.length
    if (values.some(value => value >= 95)) crossed++
  }
  console.log(`  ${'random walk from 60%'.padEnd(34)} ${alerts} alerts (${crossed} of 5 walks reached 95%)`)
  return total
}

const leads = leakSection(settings)
const { alerts: falseAlerts, signals: falseSignals } = quietSection(settings)
// The other side of the window's trade-off, in the same run: a day's window sees a daily cycle whole.
const dayWindow = { ...settings, windowMinutes: 1440 }
const dayLeads = leakSection(dayWindow)
const dayQuiet = quietSection(dayWindow)
console.log(
  `\nwindow 360 min: median alert lead ${minutes(median(leads.alert))}, ${leads.missed} missed, ${falseAlerts} false alerts, ${falseSignals} false signals`
)
console.log(
  `window 1440 min: median alert lead ${minutes(median(dayLeads.alert))}, ${dayLeads.missed} missed, ${dayQuiet.alerts} false alerts, ${dayQuiet.signals} false signals`
)

// NAB.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const nabDir = path.resolve(repoRoot, '..', 'shared', 'nab')
const labels = readWindowLabels(nabDir)
const applicable = readCorpus(nabDir).filter(
  series =>
    (series.category === 'realAWSCloudwatch' || series.category === 'realKnownCause') &&
    /cpu_utilization/.test(series.name)
)
console.log(
  `\nNAB: ${applicable.length} CPU utilisation series (limit: probationary max + 3 robust spreads, at most 100%)`
)
let nabWarned = 0
let nabWindows = 0
let nabFalse = 0
const nabLeads: number[] = []
for (const series of applicable) {
  const probation = series.values.slice(0, Math.floor(series.values.length * 0.15))
  const centre = median(probation)
  const spread = 1.4826 * median(probation.map(value => Math.abs(value - centre)))
  const limit = Math.min(100, Math.max(...probation) + 3 * spread)
  const windows = resolveWindows(series, labels[series.name] ?? []).map(window => ({
    start: series.times[window.start] as number,
    end: series.times[window.end] as number
  }))
  const run = simulate(series.times, series.values, limit)
  const warned = windows.map(window => run.opened.find(at => at >= window.start - DAY_MS && at <= window.end))
  const falseHere = run.opened.filter(at => !windows.some(window => at >= window.start - DAY_MS && at <= window.end))
  nabWindows += windows.length
  nabWarned += warned.filter(at => at !== undefined).length
  nabFalse += falseHere.length
  warned.forEach((at, i) => {
    if (at !== undefined) nabLeads.push((windows[i]?.start ?? 0) - at)
  })
  const leadText = warned
    .map((at, i) => (at === undefined ? 'missed' : minutes((windows[i]?.start ?? 0) - at)))
    .join(', ')
  console.log(
    `  ${series.name.padEnd(52)} limit ${limit.toFixed(1).padStart(5)}  windows ${windows.length}: ${leadText || '-'}  false ${falseHere.length}`
  )
}
console.log(
  `  NAB: ${nabWarned} of ${nabWindows} windows warned of (median lead ${minutes(nabLeads.length ? median(nabLeads) : undefined)} before the window's start; negative: inside it), ${nabFalse} false alerts`
)

reportFigure({
  bench: 'predict',
  name: 'leak lead time, median (alert)',
  value: median(leads.alert) / MINUTE_MS,
  unit: 'min',
  seed: '-',
  ours: 'before the limit',
  met: leads.missed === 0
})
reportFigure({
  bench: 'predict',
  name: 'leak lead time, median (signal)',
  value: median(leads.signal) / MINUTE_MS,
  unit: 'min',
  seed: '-',
  ours: `within PREDICT_SIGNAL_HORIZON_MINUTES (${settings.signalHorizonMinutes})`
})
reportFigure({
  bench: 'predict',
  name: 'leaks missed',
  value: leads.missed,
  unit: '',
  seed: '-',
  ours: '0 of 75',
  met: leads.missed === 0
})
reportFigure({
  bench: 'predict',
  name: 'false alerts on series that never run out',
  value: falseAlerts,
  unit: '',
  seed: '-',
  ours: `${Object.keys(quiet).length * 5} series-weeks`
})
reportFigure({
  bench: 'predict',
  name: 'false signals on series that never run out',
  value: falseSignals,
  unit: '',
  seed: '-',
  ours: '0',
  met: falseSignals === 0
})
reportFigure({
  bench: 'predict',
  name: 'NAB CPU windows warned of',
  value: nabWarned,
  unit: `of ${nabWindows}`,
  seed: '-',
  ours: `${nabFalse} false alerts`
})
