// Detection catches up on late history: events that arrive after the window that would have judged
// them (a flushed buffer, a backfill) are judged by the detect job afterwards, step by step, with
// no replay asked for; the signals are the replay's at the same steps, whether the catch-up takes
// one pass or many; while a component catches up the live run and healing leave it alone; a
// catch-up never goes back before what a run already recorded; and with no budget, late events
// are history only.
import t, { type Test } from 'tap'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { importEvents, storedSignals, type StoredSignal } from '../../helpers/replay.js'
import { labelledDay, type LabelledDay } from '../../../bench/replay/labelled-day.js'
import { SERVICE_CALLER } from '../../../src/db/caller.js'
import type { Sql } from '../../../src/db/client.js'
import { openAnomaliesWithoutAction } from '../../../src/db/healing-actions.js'
import { createRootCauseAnalyzer } from '../../../src/services/analysis/index.js'
import { catchUp, findLateArrivals, type CatchUpPass } from '../../../src/services/detection/catch-up.js'
import { runDetection, type DetectorDeps } from '../../../src/services/detection/detector.js'
import type { DetectorOverrides } from '../../../src/services/detection/settings.js'

const MINUTE = 60_000
const STEP = 5 * MINUTE
const analyzer = createRootCauseAnalyzer()

type Pass = CatchUpPass & { recorded: number }

function day(hours = 4): LabelledDay {
  return labelledDay({
    end: new Date(Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE),
    hours,
    stepMinutes: 2,
    components: ['checkout', 'search'],
    incidents: [
      { component: 'checkout', shape: 'sudden_spike', startMinute: 150, minutes: 4 },
      { component: 'search', shape: 'sustained_high', startMinute: 170, minutes: 30 }
    ]
  })
}

function detector(ctx: TestApp, settings: DetectorOverrides = {}): DetectorDeps {
  return { db: ctx.app.db, analyzer, settings }
}

/** What a detect job's tick does about late events: look for them, then catch up. */
async function pass(ctx: TestApp, now: number, settings: DetectorOverrides = {}): Promise<Pass> {
  const { recorded } = await findLateArrivals(detector(ctx, settings), 0)
  return { recorded, ...(await catchUp(detector(ctx, settings), { analyze: false, now: new Date(now) })) }
}

/** Catch-up passes until nothing is pending. */
async function catchUpFully(ctx: TestApp, now: number, settings: DetectorOverrides = {}): Promise<Pass[]> {
  const passes = [await pass(ctx, now, settings)]
  while ((passes.at(-1)?.pending ?? 0) > 0) passes.push(await pass(ctx, now, settings))
  return passes
}

async function forgetJudgements(sql: Sql): Promise<void> {
  await sql`truncate anomaly_signals, decision_audit_log, detector_states, detection_catch_ups cascade`
}

/** The replay a team would run by hand: every grid step from the first event's to `now`. */
async function replay(ctx: TestApp, from: number, now: number): Promise<void> {
  for (let at = Math.ceil(from / STEP) * STEP; at <= now; at += STEP)
    await runDetection({ db: ctx.app.db, analyzer }, { at: new Date(at).toISOString(), analyze: false })
}

function opened(signals: StoredSignal[]): string[] {
  return signals.map(signal => `${signal.source_component_name}/${signal.anomaly_type}`)
}

/** A fresh app with the 4-hour day imported through the batch API, all at once. */
async function backfilledDay(t: Test): Promise<{ ctx: TestApp; sql: Sql; history: LabelledDay; now: number }> {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const history = day()
  await importEvents(ctx, history.events)
  return { ctx, sql, history, now: Date.now() }
}

t.test('a backfilled day is judged by the job alone: the signals of a replay at the same steps', async t => {
  const { ctx, sql, history, now } = await backfilledDay(t)
  const [first, ...rest] = await catchUpFully(ctx, now)
  t.equal(first?.recorded, 2, 'both components had late events')
  t.same(rest, [], 'one pass under the default budget')
  t.equal(first?.pending, 0, 'nothing left pending')
  const caughtUp = await storedSignals(sql)
  t.same(opened(caughtUp), ['checkout/latency_spike', 'search/latency_spike'], 'both incidents found, and nothing else')
  for (const incident of history.incidents) {
    const signal = caughtUp.find(row => row.source_component_name === incident.component)
    t.ok(
      (signal?.opened_at ?? Infinity) >= incident.start && (signal?.opened_at ?? Infinity) <= incident.end + STEP,
      `${incident.component}: opened at its incident's event time, not at the backfill's arrival`
    )
  }
  t.ok(
    caughtUp.every(signal => signal.resolved_at !== null),
    'each resolved by the recovery the history holds'
  )
  const [{ count: stepsRun } = { count: 0 }] = await sql<Array<{ count: number }>>`
    select count(*)::int as count from decision_audit_log
    where decision_type = 'anomaly_detection_run' and actor = 'detect-catch-up' and input->>'backtest' = 'true'`
  t.equal(stepsRun, first?.steps, 'each step is an audited detection run')

  await forgetJudgements(sql)
  await replay(ctx, history.start, now)
  t.same(
    await storedSignals(sql),
    caughtUp,
    'a replay by hand at the same steps: the same signals, opened and resolved alike'
  )
})

t.test('a catch-up spread over many passes ends where one pass does', async t => {
  const { ctx, sql, now } = await backfilledDay(t)
  await catchUpFully(ctx, now)
  const inOnePass = await storedSignals(sql)
  await forgetJudgements(sql)
  await sql`update detection_catch_up_state set arrivals_checked_from = 'epoch'`
  const passes = await catchUpFully(ctx, now, { catchUpBudgetMs: 1 })
  t.ok(passes.length > 20, `${passes.length} passes of one step each`)
  t.ok(
    passes.slice(0, -1).every(one => one.steps === 1 && one.pending === 2),
    'each pass stores its place and the next continues from it'
  )
  t.same(await storedSignals(sql), inOnePass, 'the same signals')
})

t.test('while a component catches up, the live run and healing leave it alone', async t => {
  const { ctx, sql, now } = await backfilledDay(t)
  const first = await pass(ctx, now, { catchUpBudgetMs: 1 })
  t.equal(first.pending, 2, 'both still catching up after one step')
  const metrics = (await ctx.app.inject('/metrics')).body
  t.match(metrics, /core314_detection_catch_up_components 2\b/, '/metrics counts them')
  const lag = Number(/^core314_detection_catch_up_lag_seconds (\S+)$/m.exec(metrics)?.[1])
  t.ok(lag > 3 * 3600, `and says how far behind now they stand (${lag} s, a 4-hour backfill one step in)`)
  await sql`
    insert into anomaly_signals (source_type, anomaly_type, source_component_name, organization_id, severity, status, detection_timestamp)
    select 'system_health_events', 'latency_spike', 'checkout', organization_id, 'high', 'open', now() from system_health_events
    where component_name = 'checkout' limit 1`
  const [signal] = await sql<Array<{ id: string }>>`select id from anomaly_signals`
  const waiting = await ctx.app.db.asCaller(
    SERVICE_CALLER,
    async tx => await openAnomaliesWithoutAction(tx, null, 10, ctx.config.healing.maxEvidenceAgeMs)
  )
  t.same(waiting, [], 'the heal job waits for the catch-up')
  const asked = await ctx.app.db.asCaller(
    SERVICE_CALLER,
    async tx => await openAnomaliesWithoutAction(tx, signal?.id ?? null, 10, ctx.config.healing.maxEvidenceAgeMs)
  )
  t.equal(asked.length, 1, 'a heal asked for by id does not')

  const { pending } = await findLateArrivals(detector(ctx), 0)
  const live = await runDetection(detector(ctx), { analyze: false, except: pending })
  t.equal(live.components_evaluated, 0, 'the live run leaves both components to their catch-up')
  const all = await runDetection({ db: ctx.app.db, analyzer }, { analyze: false })
  t.equal(all.components_evaluated, 2, 'without the exception it would have judged them')
})

t.test('a catch-up never judges a component before its signals last changed', async t => {
  const { ctx, sql, history, now } = await backfilledDay(t)
  const changed = history.start + 200 * MINUTE
  await sql`
    insert into anomaly_signals (source_type, anomaly_type, source_component_name, organization_id, severity, status, detection_timestamp, resolved_at)
    select 'system_health_events', 'latency_spike', 'checkout', organization_id, 'high', 'resolved', ${new Date(changed - 30 * MINUTE)}, ${new Date(changed)}
    from system_health_events where component_name = 'checkout' limit 1`
  await catchUpFully(ctx, now)
  const runs = await sql<Array<{ at: number; components: number }>>`
    select extract(epoch from (input->>'at')::timestamptz)::float8 * 1000 as at,
      (decision->>'components_evaluated')::int as components
    from decision_audit_log where decision_type = 'anomaly_detection_run' and actor = 'detect-catch-up'`
  t.ok(
    runs.filter(run => run.at <= changed).every(run => run.components === 1),
    'up to the last change, the steps judge search alone'
  )
  t.ok(
    runs.some(run => run.at > changed && run.components === 2),
    'after it, checkout too'
  )
  const checkoutSignals = (await storedSignals(sql)).filter(row => row.source_component_name === 'checkout')
  t.same(
    checkoutSignals.map(row => row.opened_at),
    [changed - 30 * MINUTE],
    "checkout's spike, before the recorded resolution, is not judged again"
  )
  t.ok(
    (await storedSignals(sql)).some(row => row.source_component_name === 'search'),
    'search, with no signal before, is caught up from its first event'
  )
})

t.test('on-time events need no catch-up, and with no budget late events are history only', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const now = Date.now()
  const recent = day().events.filter(event => Date.parse(event.measurement_window_end as string) > now - 10 * MINUTE)
  t.ok(recent.length > 0)
  await importEvents(ctx, recent)
  t.equal((await pass(ctx, Date.now())).recorded, 0, 'events inside the live window are the live run’s')

  await importEvents(ctx, day().events)
  const off = await pass(ctx, Date.now(), { catchUpBudgetMs: 0 })
  t.same(off, { recorded: 0, steps: 0, created: 0, finished: 0, pending: 0 }, 'off: nothing is judged')
  t.equal((await pass(ctx, Date.now())).recorded, 0, 'and the arrivals while it was off are not looked at later')
  t.same(await storedSignals(sql), [], 'the backfill opened nothing')
})

t.test(
  'the detect job catches up after its live run, which has the components back once they are caught up',
  async t => {
    const { ctx, sql } = await backfilledDay(t)
    // As if the backfill had arrived a minute ago: past the job's wait for transactions still committing.
    await sql`update system_health_events set created_at = created_at - interval '1 minute'`
    await sql`update detection_catch_up_state set arrivals_checked_from = 'epoch'`
    const tick = async () => {
      t.equal(await ctx.app.scheduler.tick('detect'), 'succeeded', 'a tick of the detect job')
    }
    await tick()
    t.same(
      opened(await storedSignals(sql)),
      ['checkout/latency_spike', 'search/latency_spike'],
      'the backfilled incidents are found by the job alone'
    )
    const runs = async () =>
      await sql<Array<{ actor: string; components: number }>>`
      select actor, (decision->>'components_evaluated')::int as components from decision_audit_log
      where decision_type = 'anomaly_detection_run' order by created_at, id`
    const first = await runs()
    t.ok(first.length > 40, `${first.length} runs`)
    t.same(first[0], { actor: 'detect-job', components: 0 }, 'the live run first, leaving both components out')
    t.ok(
      first.slice(1).every(run => run.actor === 'detect-catch-up'),
      'then the catch-up steps, so the live run does not wait on them'
    )
    await tick()
    t.same((await runs()).at(-1), { actor: 'detect-job', components: 2 }, 'the next tick judges both live again')
    t.same(await sql`select * from detection_catch_ups`, [], 'nothing left pending')
    const metrics = (await ctx.app.inject('/metrics')).body
    t.match(metrics, /core314_detection_catch_up_components 0\b/)
    t.match(metrics, /core314_detection_catch_up_lag_seconds 0\b/)
  }
)
