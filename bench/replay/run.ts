// `npm run bench:replay`: a labelled day of several components imported through the API (POST
// /v1/health-events/batch, each event carrying its measurement window) and replayed with POST
// /v1/anomalies/detect {at} at every evaluation step, the way a team backtests on imported
// history. Prints incidents found, false alarms, the median time to detect and the replay's
// speed. Uses DATABASE_URL's server or an embedded PostgreSQL under .data/bench-replay.
import { startApiBench, type ApiBench } from '../support/api-bench.js'
import { reportFigure } from '../support/figures.js'
import { evaluationSteps, expectedAnomalyType, labelledDay, type Incident, type IncidentPlan } from './labelled-day.js'

const BENCH_PORT = 54388
const MINUTE = 60_000
const HOURS = 24
const POINT_MINUTES = 2
const STEP_MINUTES = 5
const WARM_UP_MINUTES = 120
const BATCH = 1000
const COMPONENTS = ['checkout', 'search', 'reports', 'auth', 'payments', 'inventory']
// Two of each latency shape, two traffic outages and two traffic surges, hours apart and off the
// evaluation steps; auth and inventory stay quiet all day.
const INCIDENTS: IncidentPlan[] = [
  { component: 'checkout', shape: 'sudden_spike', startMinute: 302, minutes: 2 },
  { component: 'search', shape: 'sustained_high', startMinute: 424, minutes: 45 },
  { component: 'payments', shape: 'traffic_drop', startMinute: 512, minutes: 20 },
  { component: 'reports', shape: 'gradual_increase', startMinute: 602, minutes: 40 },
  { component: 'checkout', shape: 'traffic_surge', startMinute: 702, minutes: 15 },
  { component: 'payments', shape: 'sudden_spike', startMinute: 806, minutes: 2 },
  { component: 'checkout', shape: 'sustained_high', startMinute: 1004, minutes: 30 },
  { component: 'reports', shape: 'traffic_drop', startMinute: 1122, minutes: 6 },
  { component: 'search', shape: 'gradual_increase', startMinute: 1252, minutes: 50 },
  { component: 'reports', shape: 'traffic_surge', startMinute: 1372, minutes: 8 }
]

interface Signal {
  source_component_name: string
  anomaly_type: string
  pattern_type: string | null
  detection_timestamp: string
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

async function allSignals(call: ApiBench['call']): Promise<Signal[]> {
  const signals: Signal[] = []
  let cursor: string | null = null
  do {
    const page = (await call('GET', `/v1/anomalies?limit=500${cursor === null ? '' : `&cursor=${cursor}`}`)) as {
      items: Signal[]
      next_cursor: string | null
    }
    signals.push(...page.items)
    cursor = page.next_cursor
  } while (cursor !== null)
  return signals
}

/**
 * The first signal of the incident's anomaly type on its component opened from its start to a
 * window after its end.
 */
function detectionOf(incident: Incident, signals: Signal[], windowMs: number): Signal | undefined {
  return signals
    .filter(
      signal =>
        signal.source_component_name === incident.component &&
        signal.anomaly_type === expectedAnomalyType(incident.shape)
    )
    .filter(
      signal =>
        Date.parse(signal.detection_timestamp) >= incident.start &&
        Date.parse(signal.detection_timestamp) <= incident.end + windowMs
    )
    .sort((a, b) => Date.parse(a.detection_timestamp) - Date.parse(b.detection_timestamp))[0]
}

const { call, config, close } = await startApiBench('replay', BENCH_PORT)

try {
  const end = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE)
  const day = labelledDay({
    end,
    hours: HOURS,
    stepMinutes: POINT_MINUTES,
    components: COMPONENTS,
    incidents: INCIDENTS
  })

  const importStarted = performance.now()
  for (let i = 0; i < day.events.length; i += BATCH)
    await call('POST', '/v1/health-events/batch', { events: day.events.slice(i, i + BATCH) })
  const importMs = performance.now() - importStarted

  const steps = evaluationSteps(day.start + WARM_UP_MINUTES * MINUTE, day.end, STEP_MINUTES)
  const replayStarted = performance.now()
  for (const at of steps) await call('POST', '/v1/anomalies/detect', { at: new Date(at).toISOString(), analyze: false })
  const replayMs = performance.now() - replayStarted

  const signals = await allSignals(call)
  const windowMs = config.detection.windowMinutes * MINUTE
  const detections = day.incidents.map(incident => ({ incident, signal: detectionOf(incident, signals, windowMs) }))
  const matched = new Set(detections.flatMap(({ signal }) => (signal === undefined ? [] : [signal])))
  const falseAlarms = signals.filter(
    signal =>
      !matched.has(signal) &&
      !day.incidents.some(
        incident =>
          incident.component === signal.source_component_name &&
          Date.parse(signal.detection_timestamp) >= incident.start &&
          Date.parse(signal.detection_timestamp) <= incident.end + windowMs
      )
  )
  const delays = detections.flatMap(({ incident, signal }) =>
    signal === undefined ? [] : [(Date.parse(signal.detection_timestamp) - incident.start) / MINUTE]
  )
  const simulatedMinutes = (steps.length - 1) * STEP_MINUTES

  console.log(
    `${COMPONENTS.length} components x ${HOURS} h at one point every ${POINT_MINUTES} min: ${day.events.length} events imported in ${Math.ceil(day.events.length / BATCH)} batches, ${(day.events.length / (importMs / 1000)).toFixed(0)} events/s`
  )
  console.log(
    `replay: ${steps.length} detection runs, one every ${STEP_MINUTES} min of event time, in ${(replayMs / 1000).toFixed(1)} s (${(replayMs / steps.length).toFixed(0)} ms a run)`
  )
  for (const { incident, signal } of detections) {
    const found =
      signal === undefined
        ? 'MISSED'
        : `found after ${((Date.parse(signal.detection_timestamp) - incident.start) / MINUTE).toFixed(0)} min: ${signal.anomaly_type}, pattern at its last update ${signal.pattern_type ?? '-'}`
    console.log(
      `  ${incident.component.padEnd(10)} ${incident.shape.padEnd(17)} at ${new Date(incident.start).toISOString()}: ${found}`
    )
  }
  for (const signal of falseAlarms)
    console.log(
      `  false alarm: ${signal.source_component_name} ${signal.anomaly_type} at ${signal.detection_timestamp}`
    )

  reportFigure({
    bench: 'replay',
    name: `incidents found in a replayed day (${day.incidents.length} labelled)`,
    value: delays.length,
    unit: '',
    seed: '-',
    ours: `${day.incidents.length} of ${day.incidents.length}`,
    met: delays.length === day.incidents.length
  })
  reportFigure({
    bench: 'replay',
    name: 'false alarms in the replayed day',
    value: falseAlarms.length,
    unit: '',
    seed: '-',
    ours: '0',
    met: falseAlarms.length === 0
  })
  reportFigure({
    bench: 'replay',
    name: 'median time to detect in the replay',
    value: median(delays),
    unit: 'min',
    seed: '-',
    ours: `<= ${STEP_MINUTES} min (one step)`,
    met: median(delays) <= STEP_MINUTES
  })
  reportFigure({
    bench: 'replay',
    name: 'replay speed, event time per wall-clock time',
    value: Math.round((simulatedMinutes * MINUTE) / replayMs),
    unit: 'x',
    seed: '-',
    ours: '-'
  })
} finally {
  await close()
}
