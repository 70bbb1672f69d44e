// `npm run bench:nab:live -- [--nab DIR] [--only PREFIX] [--days N] [--rule-confirm-score X]
// [--reopen-minutes N] [--lookback-hours N] [--metric NAME] [--catch-up] [--catch-up-step N] [--port N]
// [--dump FILE]`:
// the service itself, not its scorer alone, on NAB's labelled series, sent the way an agent
// sends them. Each labelled window of every 5- and 10-minute file becomes a segment of N days
// (6.5 by default: events are accepted up to 7 days late) with the window about two thirds in,
// moved to end ten minutes ago and imported through POST /v1/health-events/batch as
// `latency_ms` (or `--metric`'s column) with each point's measurement window; the detector then
// runs through POST /v1/anomalies/detect at every detection window's end (`at`), as the detect
// job would have run live. A signal's opening is a detection at its `detection_timestamp`, scored with NAB's
// windows and weights (bench/nab/scoring.ts) and normalised per segment set as NAB normalises
// (null detector 0, perfect 100). Files with no window give one segment from their middle, so
// false alarms on quiet series count too. Hourly and half-hourly files are left out: 6.5 days of
// them is too short for the scorer's warm-up.
//
// `--port` moves the embedded PostgreSQL, so two runs can go side by side (or set DATABASE_URL to
// a server of your own); `--dump` writes every segment's windows and signals (the rows it opened
// and resolved at, the path that opened it, its latest z and score) as JSON, for finding out
// where the signals lose.
//
// `--catch-up` sends each segment as one backfill instead and lets the detect job judge it with no
// `at` asked for: its catch-up on late history steps through the segment (every
// `--catch-up-step` minutes of event time, DETECT_CATCHUP_STEP_MINUTES) up to now. The job ticks
// as if a minute after the import, past its wait for transactions still committing, until nothing
// is left to catch up, and once more: its live run has the component back.
//
// `--metric` sends the series as another column, as an agent might pick for counts
// (`throughput_per_minute`) or CPU (`cpu_usage_percent`; files with values outside 0-100 are left
// out), so the service is judged through each metric's own rules too.
//
// Printed beside it: the scorer alone (scoreSeries, as `bench:nab` runs it) on the same segments
// at the live threshold, so the gap between "the scorer" and "what the service reports" shows.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createSql } from '../../src/db/client.js'
import { scoreSeries } from '../../src/lib/anomaly/adaptive-scorer.js'
import { DEFAULT_RULES, METRICS } from '../../src/services/detection/rules.js'
import { DEFAULT_SETTINGS } from '../../src/services/detection/settings.js'
import { startApiBench } from '../support/api-bench.js'
import { readCorpus, readProfiles, readWindowLabels, resolveWindows, type Series, type Window } from './corpus.js'
import { corpusRows, normalize, scoreAtThreshold, type ScoredFile } from './scoring.js'

const MINUTE = 60_000
const BATCH = 1000
// The largest latency limit the configuration takes: the rules' absolute limit stays out of the
// way, so what fires is the relative rules and the adaptive score, as on a metric of any unit.
const LATENCY_LIMIT_MS = 3_600_000

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const { values: args } = parseArgs({
  options: {
    nab: { type: 'string', default: path.resolve(repoRoot, '..', 'shared', 'nab') },
    only: { type: 'string' },
    days: { type: 'string', default: '6.5' },
    verbose: { type: 'boolean', default: false },
    port: { type: 'string', default: '54389' },
    dump: { type: 'string' },
    'rule-confirm-score': { type: 'string' },
    'reopen-minutes': { type: 'string' },
    'lookback-hours': { type: 'string' },
    metric: { type: 'string', default: 'latency_ms' },
    'catch-up': { type: 'boolean', default: false },
    'catch-up-step': { type: 'string' }
  }
})
const nabDir = path.resolve(args.nab)
const segmentDays = Number(args.days)
const metric = args.metric
if (!(METRICS as readonly string[]).includes(metric))
  throw new Error(`--metric ${metric}: not one of ${METRICS.join(', ')}`)
const percent = Object.values(DEFAULT_RULES).some(rule => rule.metric === metric && rule.ceiling !== null)

interface Segment {
  series: Series
  from: number
  /** Exclusive. */
  to: number
  windows: Window[]
}

function intervalMinutes(series: Series): number {
  const gaps = series.times.slice(1).map((time, i) => (time - (series.times[i] as number)) / MINUTE)
  return gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)] ?? 0
}

/**
 * Segments of at most `spanMs` covering every window, each about two thirds in. A segment starts
 * after the previous segment's last window, so no window is scored twice; a window it would cut
 * at its end is left to the next segment.
 */
function segmentsOf(series: Series, windows: Window[], spanMs: number): Segment[] {
  const { times } = series
  const first = times[0] as number
  const last = times[times.length - 1] as number
  const segment = (fromTime: number, notBefore: number): Segment => {
    const startTime = Math.max(first, Math.min(fromTime, last - spanMs))
    const from = Math.max(
      notBefore,
      times.findIndex(time => time >= startTime)
    )
    let to = from
    while (to < times.length && (times[to] as number) <= startTime + spanMs) to++
    for (const window of windows) if (window.start < to && window.end >= to) to = window.start
    return {
      series,
      from,
      to,
      windows: windows
        .filter(window => window.start >= from && window.end < to)
        .map(window => ({ start: window.start - from, end: window.end - from }))
    }
  }
  if (windows.length === 0) return [segment(first + (last - first - spanMs) / 2, 0)]
  const segments: Segment[] = []
  for (const window of windows) {
    const previous = segments[segments.length - 1]
    const scored =
      previous === undefined ? 0 : previous.from + (previous.windows[previous.windows.length - 1]?.end ?? 0) + 1
    if (window.start < scored) continue
    const next = segment((times[window.start] as number) - spanMs * 0.65, scored)
    if (next.windows.length > 0) segments.push(next)
  }
  return segments
}

const { call, runJob, config, databaseUrl, close } = await startApiBench('nab-live', Number(args.port), {
  DETECT_LATENCY_LIMIT_MS: String(LATENCY_LIMIT_MS),
  ...(args['catch-up-step'] === undefined ? {} : { DETECT_CATCHUP_STEP_MINUTES: args['catch-up-step'] }),
  ...(args['rule-confirm-score'] === undefined ? {} : { DETECT_RULE_CONFIRM_SCORE: args['rule-confirm-score'] }),
  ...(args['reopen-minutes'] === undefined ? {} : { DETECT_REOPEN_MINUTES: args['reopen-minutes'] }),
  ...(args['lookback-hours'] === undefined ? {} : { DETECT_LOOKBACK_HOURS: args['lookback-hours'] })
})
const owner = createSql(databaseUrl, { max: 1 })

interface Opened {
  id: string
  at: Date
  resolved_at: Date | null
  flapping: boolean
  detection_algorithm: string
  metadata: { z_score: number | null; adaptive_score: number | null; baseline_spread: number | null }
}

interface Result {
  segment: Segment
  live: Float64Array
  scorer: Float64Array
  /** Each signal with the rows it opened and resolved at, for --dump. */
  signals: Array<Omit<Opened, 'id' | 'at' | 'resolved_at'> & { row: number; resolvedRow: number | null }>
}

type Event = Record<string, unknown>

/** Live arrival: each detection window's events, then POST /v1/anomalies/detect at its end. Returns the runs. */
async function judgedStepByStep(
  events: Event[],
  times: number[],
  end: number,
  openedBy: Map<string, string>
): Promise<number> {
  const windowMinutes = config.detection.windowMinutes
  let imported = 0
  let runs = 0
  for (let at = (times[0] as number) + windowMinutes * MINUTE; ; at += windowMinutes * MINUTE) {
    const stop = Math.min(at, end)
    let due = imported
    while (due < events.length && (times[due] as number) <= stop) due++
    for (let i = imported; i < due; i += BATCH)
      await call('POST', '/v1/health-events/batch', { events: events.slice(i, Math.min(i + BATCH, due)) })
    imported = due
    const run = (await call('POST', '/v1/anomalies/detect', {
      at: new Date(stop).toISOString(),
      analyze: false
    })) as {
      signals: Array<{ id: string; detection_algorithm: string }>
    }
    // A repeat replaces the algorithm: the one that opened the signal is the first seen.
    for (const signal of run.signals) if (!openedBy.has(signal.id)) openedBy.set(signal.id, signal.detection_algorithm)
    runs++
    if (stop >= end) return runs
  }
}

/** One backfill, then ticks of the detect job until it has caught up and judged live. Returns the detection runs. */
async function judgedByTheJob(events: Event[]): Promise<number> {
  for (let i = 0; i < events.length; i += BATCH)
    await call('POST', '/v1/health-events/batch', { events: events.slice(i, i + BATCH) })
  await owner`update system_health_events set created_at = created_at - interval '1 minute'`
  await owner`update detection_catch_up_state set arrivals_checked_from = 'epoch'`
  do await runJob('detect')
  while ((await owner`select 1 from detection_catch_ups`).length > 0)
  await runJob('detect')
  const [row] = await owner<Array<{ runs: number }>>`
    select count(*)::int as runs from decision_audit_log where decision_type = 'anomaly_detection_run'`
  return row?.runs ?? 0
}

/** The row of the newest time at or before `at`. */
function rowAt(times: number[], at: number): number {
  let row = 0
  while (row + 1 < times.length && (times[row + 1] as number) <= at) row++
  return row
}

try {
  const labels = readWindowLabels(nabDir)
  const corpus = readCorpus(nabDir)
    .filter(series => args.only === undefined || series.name.startsWith(args.only))
    .filter(series => intervalMinutes(series) <= 10)
    .filter(series => !percent || series.values.every(value => value >= 0 && value <= 100))
  const labelled = corpus.reduce((sum, series) => sum + (labels[series.name]?.length ?? 0), 0)
  const segments = corpus.flatMap(series =>
    segmentsOf(series, resolveWindows(series, labels[series.name] ?? []), segmentDays * 1440 * MINUTE)
  )
  const windowMinutes = config.detection.windowMinutes
  const results: Result[] = []
  const started = performance.now()
  let runs = 0
  for (const segment of segments) {
    await owner`truncate system_health_events, anomaly_signals, decision_audit_log, detector_states, health_event_rollups, health_event_rollup_state, detection_catch_ups cascade`
    const values = segment.series.values.slice(segment.from, segment.to)
    const sourceTimes = segment.series.times.slice(segment.from, segment.to)
    const interval = intervalMinutes(segment.series) * MINUTE
    const end = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE
    const shift = end - (sourceTimes[sourceTimes.length - 1] as number)
    const times = sourceTimes.map(time => time + shift)
    // Only art_daily_flatmiddle goes below zero; no watched metric can, so the series is lifted by
    // a constant. Values past the latency limit's range are sent in thousands (a unit an agent picks).
    const lift = Math.max(0, -Math.min(...values))
    const unit = metric === 'latency_ms' && Math.max(...values) + lift > LATENCY_LIMIT_MS / 10 ? 1000 : 1
    const sent = values.map(value => (value + lift) / unit)
    const events = sent.map((value, i) => ({
      component_type: 'edge_function',
      component_name: 'nab',
      status: 'healthy',
      [metric]: value,
      measurement_window_start: new Date((times[i] as number) - interval).toISOString(),
      measurement_window_end: new Date(times[i] as number).toISOString()
    }))
    const openedBy = new Map<string, string>()
    if (args['catch-up']) runs += await judgedByTheJob(events)
    else runs += await judgedStepByStep(events, times, end, openedBy)
    const opened = await owner<Opened[]>`
      select id, detection_timestamp as at, resolved_at, flapping, detection_algorithm, metadata
      from anomaly_signals order by detection_timestamp`
    const live = new Float64Array(values.length)
    for (const { at } of opened) live[rowAt(times, at.getTime())] = 1
    results.push({
      segment,
      live,
      scorer: scoreSeries(sent, times),
      signals: opened.map(({ id, at, resolved_at, ...signal }) => ({
        ...signal,
        detection_algorithm: openedBy.get(id) ?? signal.detection_algorithm,
        row: rowAt(times, at.getTime()),
        resolvedRow: resolved_at === null ? null : rowAt(times, resolved_at.getTime())
      }))
    })
    if (args.verbose) {
      const rows = (scores: Float64Array): string =>
        Array.from(scores.keys())
          .filter(row => (scores[row] as number) >= DEFAULT_SETTINGS.adaptiveScoreThreshold)
          .join(' ')
      console.log(
        `${segment.series.name} rows ${segment.from}-${segment.to - 1}: windows ${segment.windows.map(window => `${window.start}-${window.end}`).join(' ')}; opened at ${rows(live)}`
      )
    } else process.stdout.write('.')
  }
  process.stdout.write('\n')
  if (args.dump !== undefined)
    writeFileSync(
      args.dump,
      JSON.stringify(
        results.map(({ segment, signals }) => ({
          name: segment.series.name,
          category: segment.series.category,
          from: segment.from,
          to: segment.to,
          windows: segment.windows,
          signals
        }))
      )
    )
  const seconds = (performance.now() - started) / 1000

  const windows = results.reduce((sum, { segment }) => sum + segment.windows.length, 0)
  console.log(
    `${results.length} segments of ${segmentDays} days (${windows} of the files' ${labelled} labelled windows; the others do not fit in one segment) from ${new Set(results.map(({ segment }) => segment.series.name)).size} files${args.only === undefined ? '' : ` named ${args.only}*`}; ${runs} detection runs in ${seconds.toFixed(0)} s`
  )
  console.log(
    `settings: the service's defaults (window ${windowMinutes} min, lookback ${config.detection.lookbackHours} h, adaptive score >= ${DEFAULT_SETTINGS.adaptiveScoreThreshold} and ${DEFAULT_SETTINGS.adaptiveMinZ} spreads high, a relative rule confirmed by a score >= ${config.detection.ruleConfirmScore}, a breach within ${config.detection.reopenMinutes} min of an auto-resolution reopening its signal), sent as ${metric}, ${args['catch-up'] ? `each segment one backfill judged by the detect job (its catch-up every ${config.detection.catchUpStepMinutes} min up to now, then a live run)` : `detected at every window's end as it arrives`}, DETECT_LATENCY_LIMIT_MS ${LATENCY_LIMIT_MS}; one detection per signal opened`
  )
  const files = (pick: (result: Result) => Float64Array): ScoredFile[] =>
    results.map(result => ({
      name: `${result.segment.series.name}@${result.segment.from}`,
      category: result.segment.series.category,
      scores: pick(result),
      windows: result.segment.windows
    }))
  for (const category of [...new Set(results.map(({ segment }) => segment.series.category))]) {
    const members = files(result => result.live).filter(file => file.category === category)
    const rows = corpusRows(members, { tpWeight: 1, fpWeight: 1, fnWeight: 1 })
    const found = new Set(rows.filter(row => row.window >= 0 && row.score >= 1).map(row => row.window)).size
    const outside = rows.filter(row => row.window < 0 && row.score >= 1).length
    console.log(
      `  ${category}: ${members.length} segments, windows found ${found} of ${members.reduce((sum, file) => sum + file.windows.length, 0)}, detections outside windows ${outside}`
    )
  }
  for (const [profile, cost] of Object.entries(readProfiles(nabDir))) {
    const nullScore = -cost.fnWeight * windows
    const perfect = cost.tpWeight * windows
    const line = (label: string, scored: ScoredFile[]): string => {
      const counts = scoreAtThreshold(corpusRows(scored, cost), DEFAULT_SETTINGS.adaptiveScoreThreshold, cost)
      const found = scored.reduce(
        (sum, file) =>
          sum +
          file.windows.filter(window =>
            Array.from(file.scores)
              .slice(window.start, window.end + 1)
              .some(score => score >= DEFAULT_SETTINGS.adaptiveScoreThreshold)
          ).length,
        0
      )
      return `${label} ${normalize(counts.score, nullScore, perfect).toFixed(1)} (windows found ${found} of ${windows}, detections outside windows ${counts.fp})`
    }
    console.log(
      `${profile}: ${line(
        'service through the API',
        files(result => result.live)
      )}; ${line(
        'scorer alone',
        files(result => result.scorer)
      )}`
    )
  }
} finally {
  await owner.end()
  await close()
}
