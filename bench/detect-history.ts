// `npm run bench:detect-history`: the detector over 1,000 components with a full day of history at
// one event a minute (1,455 points each, 1.455M events, generated server-side), 2% of them
// spiking in the window, without the LLM. It times the same runs twice in one process: first with
// every event read raw (no rollup yet, the code path every run took before the hourly rollup),
// then after rolling the history up (timed too: the one-off catch-up the detect job spreads over
// its first ticks), with the rollup in use. Each timed run starts from no signals. Besides wall
// time it prints the CPU each run cost Node and PostgreSQL (bench/support/cpu.ts), the figures to
// compare changes by on a shared machine. `-- --skip-raw` times only the rolled-up runs (for
// profiling). Uses DATABASE_URL's server or an embedded PostgreSQL under .data/bench-detect-history.
import { createSql } from '../src/db/client.js'
import { createDb } from '../src/db/port.js'
import { createRootCauseAnalyzer } from '../src/services/analysis/index.js'
import { runDetection, type DetectionRun } from '../src/services/detection/detector.js'
import { rollUpHistory } from '../src/services/detection/rollup.js'
import { measureCpu, type CpuSplit } from './support/cpu.js'
import { benchDatabase } from './support/database.js'
import { reportFigure } from './support/figures.js'

const COMPONENTS = 1000
const HISTORY_MINUTES = 24 * 60
const WINDOW_MINUTES = 15
const RAW_RUNS = process.argv.includes('--skip-raw') ? 0 : 3
const ROLLED_RUNS = 5
const BENCH_PORT = 54396
const MINUTE = 60_000

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

const database = await benchDatabase('detect-history', BENCH_PORT)
const sql = createSql(database.url, { max: 4, applicationName: 'core314-bench-detect-history' })
try {
  const at = new Date(Math.floor(Date.now() / MINUTE) * MINUTE)
  const filling = performance.now()
  // Minute by minute across all components, as events arrive; every 50th component spikes in the window.
  await sql`
    insert into system_health_events (component_type, component_name, status, created_at,
      latency_ms, error_rate, cpu_usage_percent, memory_usage_percent, disk_usage_percent)
    select 'edge_function', 'svc-' || lpad(c::text, 4, '0'), 'healthy', ${at}::timestamptz - make_interval(mins => m),
      case when c % 50 = 7 and m between 2 and 4 then 2600 else 150 + c % 200 + 10 * sin(c * 13 + m * 7) end,
      0.5 + 0.2 * sin(c * 13 + m * 7), 35 + 8 * sin(c * 13 + m * 7), 55 + 4 * sin(c * 13 + m * 7), 60 + 0.5 * sin(c * 13 + m * 7)
    from generate_series(${HISTORY_MINUTES + WINDOW_MINUTES - 1}, 0, -1) m, generate_series(0, ${COMPONENTS - 1}) c
    order by m desc, c`
  await sql`vacuum analyze`
  const [{ events } = { events: 0 }] = await sql<
    Array<{ events: number }>
  >`select count(*)::int as events from system_health_events`
  console.log(`${events} events generated in ${((performance.now() - filling) / 1000).toFixed(1)} s`)

  const db = createDb(sql)
  const analyzer = createRootCauseAnalyzer()
  const settings = { windowMinutes: WINDOW_MINUTES, lookbackHours: 24 }
  const timeRuns = async (
    runs: number
  ): Promise<{ times: number[]; cpu: CpuSplit[]; last: DetectionRun | undefined }> => {
    const times: number[] = []
    const cpu: CpuSplit[] = []
    let last: DetectionRun | undefined
    for (let run = 0; run < runs; run++) {
      await sql`delete from anomaly_signals`
      const measured = await measureCpu(
        sql,
        async () => await runDetection({ db, analyzer, settings }, { at: at.toISOString(), analyze: false })
      )
      last = measured.result
      times.push(measured.wallMs)
      cpu.push(measured.cpu)
    }
    return { times, cpu, last }
  }
  const describe = (
    label: string,
    runs: { times: number[]; cpu: CpuSplit[]; last: DetectionRun | undefined }
  ): void => {
    if (runs.last === undefined) return
    const server = runs.cpu.map(split => split.postgresql).filter(ms => ms !== null)
    console.log(
      `${label} components ${runs.last.components_evaluated}, created ${runs.last.created}, runs ${runs.times.map(ms => ms.toFixed(0)).join(', ')} ms`
    )
    console.log(
      `${' '.repeat(label.length)} cpu per run (median): node ${median(runs.cpu.map(split => split.node)).toFixed(0)} ms, postgresql ${server.length === runs.cpu.length ? `${median(server).toFixed(0)} ms` : 'not on this machine'}`
    )
  }

  const raw = await timeRuns(RAW_RUNS)
  const rollingUp = performance.now()
  const pass = await rollUpHistory(db, { ...settings, rollupHoursPerRun: 48 }, at)
  const rollupMs = performance.now() - rollingUp
  const rolled = await timeRuns(ROLLED_RUNS)

  describe('raw:   ', raw)
  console.log(
    `rollup: ${pass.rows} hour rows for [${String(pass.from)}, ${String(pass.until)}) in ${rollupMs.toFixed(0)} ms`
  )
  describe('rolled:', rolled)
  if (raw.times.length > 0)
    reportFigure({
      bench: 'detect-history',
      name: `detection over ${COMPONENTS} components x 24 h at 1/min, every event read raw (before the rollup), median`,
      value: median(raw.times),
      unit: 'ms',
      seed: '< 3000 ms',
      ours: '-'
    })
  reportFigure({
    bench: 'detect-history',
    name: 'one-off rollup of that day into hours',
    value: rollupMs,
    unit: 'ms',
    seed: '-',
    ours: '-'
  })
  const after = median(rolled.times)
  reportFigure({
    bench: 'detect-history',
    name: `detection over ${COMPONENTS} components x 24 h at 1/min, history rolled up, median`,
    value: after,
    unit: 'ms',
    seed: '< 3000 ms',
    ours: '< 3000 ms',
    met: after < 3000
  })
} finally {
  await sql.end()
  await database.close()
}
