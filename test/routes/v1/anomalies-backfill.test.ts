// Backfill and replay: a day of history imported through POST /v1/health-events/batch, then
// POST /v1/anomalies/detect with `at` at every evaluation step. Events are judged at the time they
// were measured, so the seed's three patterns are recognised on imported history as on live data,
// and the same events give the same signals however they arrive: live in order, in shuffled
// batches, or as one backfill followed by the replay.
import t from 'tap'
import fc from 'fast-check'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { detectAt, importEvents, storedSignals, type RunSignal } from '../../helpers/replay.js'
import {
  evaluationSteps,
  expectedAnomalyType,
  labelledDay,
  type IncidentPlan,
  type LabelledDay
} from '../../../bench/replay/labelled-day.js'
import type { Sql } from '../../../src/db/client.js'

const MINUTE = 60_000
const STEP_MINUTES = 5
const COMPONENTS = ['checkout', 'search', 'reports', 'auth']

function dayEnd(): Date {
  return new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE)
}

function smallDay(incidents: IncidentPlan[], hours = 6): LabelledDay {
  return labelledDay({ end: dayEnd(), hours, stepMinutes: 2, components: COMPONENTS, incidents })
}

/** Replay steps from when the history is enough for baselines (90 minutes in) to the day's end. */
function stepsOf(day: LabelledDay): number[] {
  return evaluationSteps(day.start + 90 * MINUTE, day.end, STEP_MINUTES)
}

t.test('a spike planned between two measurements is measured at the next one', async t => {
  const day = smallDay([{ component: 'checkout', shape: 'sudden_spike', startMinute: 125, minutes: 1 }])
  const spike = day.incidents[0]!.start
  t.equal((spike - day.start) / MINUTE, 126, 'on the 2-minute grid')
  const latencies = day.events.filter(event => event.component_name === 'checkout').map(event => event.latency_ms ?? 0)
  const at = day.events.find(
    event => event.component_name === 'checkout' && Date.parse(event.measurement_window_end as string) === spike
  )
  t.ok((at?.latency_ms ?? 0) > 4 * Math.min(...latencies), 'the spike is in that event')
})

t.test(
  'sudden_spike, gradual_increase, sustained_high and a traffic outage are each recognised on a backfilled day',
  async t => {
    const ctx = await buildTestApp(t)
    const day = smallDay([
      { component: 'checkout', shape: 'sudden_spike', startMinute: 200, minutes: 2 },
      { component: 'search', shape: 'sustained_high', startMinute: 240, minutes: 40 },
      { component: 'reports', shape: 'gradual_increase', startMinute: 280, minutes: 40 },
      { component: 'auth', shape: 'traffic_drop', startMinute: 230, minutes: 20 }
    ])
    await importEvents(ctx, day.events)
    const seen = new Map<string, { patterns: Set<string>; first: number }>()
    for (const at of stepsOf(day)) {
      for (const signal of await detectAt(ctx, at)) {
        const key = `${signal.source_component_name ?? ''}/${signal.anomaly_type}`
        const entry = seen.get(key) ?? { patterns: new Set<string>(), first: at }
        entry.patterns.add(signal.pattern_type ?? '')
        seen.set(key, entry)
      }
    }
    t.same(
      [...seen.keys()].sort(),
      ['auth/traffic_drop', 'checkout/latency_spike', 'reports/latency_spike', 'search/latency_spike'],
      'one signal per incident, none elsewhere'
    )
    for (const incident of day.incidents) {
      const entry = seen.get(`${incident.component}/${expectedAnomalyType(incident.shape)}`)
      // Twenty minutes of lost traffic is a plateau, the other way up.
      const pattern = incident.shape === 'traffic_drop' ? 'sustained_low' : incident.shape
      t.ok(
        entry?.patterns.has(pattern),
        `${incident.component}: ${pattern} recognised (saw ${[...(entry?.patterns ?? [])].join(', ')})`
      )
      t.ok(
        (entry?.first ?? Infinity) <= incident.end + STEP_MINUTES * MINUTE,
        `${incident.component}: found by the step after it`
      )
    }
  }
)

t.test('a replay at `at` sees exactly the events measured up to `at`', async t => {
  const ctx = await buildTestApp(t)
  const day = smallDay([{ component: 'checkout', shape: 'sudden_spike', startMinute: 300, minutes: 2 }])
  const spike = day.incidents[0]!.start
  await importEvents(ctx, day.events)
  t.same(
    await detectAt(ctx, spike - MINUTE),
    [],
    'a minute before it was measured, the spike is not there, though it arrived long ago'
  )
  t.match(
    await detectAt(ctx, spike),
    [{ source_component_name: 'checkout', anomaly_type: 'latency_spike', pattern_type: 'sudden_spike' }],
    'at its measurement it is'
  )
})

async function reset(sql: Sql): Promise<void> {
  await sql`truncate system_health_events, anomaly_signals, decision_audit_log, detector_states cascade`
}

type Arrival = (
  ctx: TestApp,
  day: LabelledDay,
  steps: number[],
  shuffle: (events: LabelledDay['events']) => LabelledDay['events']
) => Promise<RunSignal[][]>

// Live: each step's events arrive just before that step's run, in order.
const live: Arrival = async (ctx, day, steps) => {
  const runs: RunSignal[][] = []
  let sent = 0
  for (const at of steps) {
    const due = day.events.slice(sent).filter(event => Date.parse(event.measurement_window_end as string) <= at)
    if (due.length > 0) await importEvents(ctx, due)
    sent += due.length
    runs.push(await detectAt(ctx, at))
  }
  return runs
}

// Shuffled: the whole day in random order and random batch sizes, then the replay.
const shuffled: Arrival = async (ctx, day, steps, shuffle) => {
  const events = shuffle(day.events)
  let i = 0
  let size = 37
  while (i < events.length) {
    await importEvents(ctx, events.slice(i, i + size))
    i += size
    size = 1 + ((size * 7919) % 400)
  }
  const runs: RunSignal[][] = []
  for (const at of steps) runs.push(await detectAt(ctx, at))
  return runs
}

// Backfill: the day in order in as few batches as the API takes, then the replay.
const backfill: Arrival = async (ctx, day, steps) => {
  await importEvents(ctx, day.events)
  const runs: RunSignal[][] = []
  for (const at of steps) runs.push(await detectAt(ctx, at))
  return runs
}

t.test('arrival does not change the answer: live, shuffled batches and backfill give the same signals', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const shape = fc.constantFrom<IncidentPlan['shape']>('sudden_spike', 'gradual_increase', 'sustained_high')
  const incident = fc.record({
    component: fc.constantFrom(...COMPONENTS),
    shape,
    startMinute: fc.integer({ min: 100, max: 150 }),
    minutes: fc.integer({ min: 10, max: 30 })
  })
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(incident, { minLength: 1, maxLength: 3, selector: plan => plan.component }),
      fc.integer(),
      async (incidents, seed) => {
        const day = smallDay(incidents, 3.5)
        const steps = stepsOf(day)
        const shuffle = (events: LabelledDay['events']) =>
          fc.sample(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), {
            seed,
            numRuns: 1
          })[0]!
        const outcomes = []
        for (const arrival of [live, shuffled, backfill]) {
          await reset(sql)
          await arrival(ctx, day, steps, shuffle)
          outcomes.push(await storedSignals(sql))
        }
        const [inOrder, inShuffledBatches, backfilled] = outcomes
        t.ok((inOrder?.length ?? 0) >= 1, `live found ${inOrder?.length ?? 0} signals for ${JSON.stringify(incidents)}`)
        t.same(inShuffledBatches, inOrder, 'shuffled batches: the same signals, opened and resolved at the same steps')
        t.same(backfilled, inOrder, 'backfill then replay: the same signals, opened and resolved at the same steps')
      }
    ),
    // A new draw every run (fast-check prints its seed when one fails). Three days keep the
    // file's detect calls well inside the service role's rate limit.
    { numRuns: 3 }
  )
})
