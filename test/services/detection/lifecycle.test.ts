// The signal lifecycle the detector owns: a repeat updates the open signal, a recovered metric
// closes it, an incident that comes back soon after reopens its signal, a component that keeps
// opening and closing is held open as flapping, signals that overlap on other components are
// linked both ways, a backtest at `at` reads nothing later, and a signal resolved by healing is
// not reopened, by the evidence it already stood for or by a new breach.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { SERVICE_CALLER } from '../../../src/db/caller.js'
import { correlatedAnomalies } from '../../../src/db/anomalies.js'
import { resolveAnomaly } from '../../../src/db/verifications.js'
import { createRootCauseAnalyzer } from '../../../src/services/analysis/index.js'
import { runDetection, type DetectionRun } from '../../../src/services/detection/detector.js'
import type { DetectorOverrides } from '../../../src/services/detection/settings.js'
import { evaluationTime, insertSeries, MINUTE, minutely, wobble } from './series.js'

const analyzer = createRootCauseAnalyzer()

function detectAt(
  ctx: TestApp,
  at: Date,
  componentName?: string,
  settings: DetectorOverrides = {}
): Promise<DetectionRun> {
  return runDetection({ db: ctx.app.db, analyzer, settings }, { at: at.toISOString(), componentName, analyze: false })
}

const plus = (at: Date, minutes: number): Date => new Date(at.getTime() + minutes * MINUTE)

/** 120 minutes of 200 ms before `start`, then `minutes` more points with 3000 ms at the given offsets. */
function withSpikes(start: Date, minutes: number, spikes: number[]) {
  return minutely(plus(start, minutes), 120 + minutes + 1, i => ({
    latency_ms: spikes.includes(i - 120) ? 3000 : 200 + 6 * wobble(i)
  }))
}

t.test('a repeat updates the open signal, and it resolves itself after the recovery window', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const start = evaluationTime(60)
  await insertSeries(sql, 'api', withSpikes(start, 30, [0, 3]))

  const first = await detectAt(ctx, start)
  t.equal(first.created, 1)
  const id = first.signals[0]?.id
  t.same((await detectAt(ctx, plus(start, 1))).signals, [], 'the same spike seen again is not a repeat')

  const repeat = await detectAt(ctx, plus(start, 3))
  t.match(repeat, { created: 0, updated: 1 })
  t.match(repeat.signals[0], { id, historical_occurrences: 2, observed_value: 3000, status: 'open' })
  t.equal(Date.parse(repeat.signals[0]?.last_observed_at ?? ''), plus(start, 3).getTime())

  t.same((await detectAt(ctx, plus(start, 10))).signals, [], 'seven quiet minutes are not enough')
  const recovered = await detectAt(ctx, plus(start, 18))
  t.match(recovered, { resolved: 1 })
  t.match(recovered.signals[0], {
    id,
    status: 'resolved',
    resolution_notes: /Auto-resolved by the detector: latency_ms has stayed normal for 15 minutes/
  })
  t.same(await sql`select count(*)::int as n from anomaly_signals`, [{ n: 1 }], 'one signal for the whole incident')
})

t.test('an incident that comes back soon after its signal auto-resolved reopens that signal', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const start = evaluationTime(90)
  await insertSeries(sql, 'api', withSpikes(start, 80, [0, 20, 75]))
  const reopenWithinHalfAnHour = { reopenMinutes: 30 }

  const opened = await detectAt(ctx, start, undefined, reopenWithinHalfAnHour)
  t.match(opened, { created: 1 })
  const id = opened.signals[0]?.id
  t.match(await detectAt(ctx, plus(start, 16), undefined, reopenWithinHalfAnHour), { resolved: 1 })

  const back = await detectAt(ctx, plus(start, 20), undefined, reopenWithinHalfAnHour)
  t.match(back, { created: 0, updated: 1 }, 'no second signal for the same incident')
  t.match(back.signals[0], {
    id,
    status: 'open',
    resolved_at: null,
    resolution_notes: null,
    historical_occurrences: 2,
    flapping: false,
    metadata: { reopened: 1, auto_resolved: false }
  })
  t.equal(Date.parse(back.signals[0]?.detection_timestamp ?? ''), start.getTime(), 'it keeps its first detection')
  t.match(await detectAt(ctx, plus(start, 36), undefined, reopenWithinHalfAnHour), { resolved: 1 })

  const later = await detectAt(ctx, plus(start, 75), undefined, reopenWithinHalfAnHour)
  t.match(later, { created: 1 }, 'a breach 39 minutes after the resolution is a new incident')
  t.not(later.signals[0]?.id, id)
})

t.test(
  'a signal another run opens while a reopening is written is repeated instead; the run does not fail',
  async t => {
    const ctx = await buildTestApp(t)
    const sql = ownerSql(t, ctx.databaseUrl)
    const start = evaluationTime(90)
    await insertSeries(sql, 'api', withSpikes(start, 80, [0, 20]))
    const reopening = { reopenMinutes: 30 }
    const id = (await detectAt(ctx, start, undefined, reopening)).signals[0]?.id
    t.match(await detectAt(ctx, plus(start, 16), undefined, reopening), { resolved: 1 })

    // Another run's signal for the same component and type, not yet committed when this run plans
    // its reopening and writes it: the write waits on it, then finds the active key taken.
    let run: Promise<DetectionRun> | undefined
    const [other] = await sql.begin(async tx => {
      const inserted = await tx<Array<{ id: string }>>`
      insert into anomaly_signals
      select (jsonb_populate_record(null::anomaly_signals, to_jsonb(s) || jsonb_build_object(
        'id', gen_random_uuid(), 'status', 'open', 'resolved_at', null, 'resolved_by', null,
        'resolution_duration_minutes', null, 'resolution_notes', null, 'metadata', '{}'::jsonb))).*
      from anomaly_signals s where id = ${id as string}
      returning id`
      run = detectAt(ctx, plus(start, 20), undefined, reopening)
      for (let waiting = 0; waiting === 0;) {
        await new Promise(resolve => setTimeout(resolve, 20))
        ;[{ waiting }] = await sql<[{ waiting: number }]>`
        select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '%update anomaly_signals%'`
      }
      return inserted
    })
    const back = await (run as Promise<DetectionRun>)
    t.match(back, { created: 0, updated: 1 }, 'the breach repeats the signal the other run opened')
    t.equal(back.signals[0]?.id, other?.id)
    const statuses = await sql<Array<{ id: string; status: string }>>`select id, status from anomaly_signals`
    t.same(
      Object.fromEntries(statuses.map(row => [row.id, row.status])),
      { [id as string]: 'resolved', [other?.id as string]: 'open' },
      "the resolved signal stays resolved beside the other run's"
    )
  }
)

t.test('with reopening off, a breach after an auto-resolution opens a new signal', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const start = evaluationTime(60)
  await insertSeries(sql, 'api', withSpikes(start, 30, [0, 20]))
  const off = { reopenMinutes: 0 }
  const first = await detectAt(ctx, start, undefined, off)
  t.match(await detectAt(ctx, plus(start, 16), undefined, off), { resolved: 1 })
  const second = await detectAt(ctx, plus(start, 20), undefined, off)
  t.match(second, { created: 1 })
  t.not(second.signals[0]?.id, first.signals[0]?.id)
})

t.test('a signal that keeps coming back is marked flapping on its second return and held open', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const start = evaluationTime(90)
  await insertSeries(sql, 'flaky', withSpikes(start, 80, [0, 20, 40, 75]))

  const opened = await detectAt(ctx, start)
  t.match(opened, { created: 1 })
  t.match(await detectAt(ctx, plus(start, 16)), { resolved: 1 })
  const back = await detectAt(ctx, plus(start, 20))
  t.match(back.signals[0], { id: opened.signals[0]?.id, flapping: false, status: 'open' })
  t.match(await detectAt(ctx, plus(start, 36)), { resolved: 1 })
  const third = await detectAt(ctx, plus(start, 40))
  t.match(
    third.signals[0],
    { id: opened.signals[0]?.id, flapping: true, status: 'open', metadata: { reopened: 2 } },
    'the second return within two hours is flapping'
  )
  t.match(await detectAt(ctx, plus(start, 56)), { resolved: 0 }, 'sixteen quiet minutes no longer close it')
  const again = await detectAt(ctx, plus(start, 75))
  t.match(again, { created: 0, updated: 1 })
  t.match(
    again.signals[0],
    { id: opened.signals[0]?.id, flapping: true, historical_occurrences: 4 },
    'held open, so the next spike does not re-fire'
  )
})

t.test('with reopening off, a component that keeps opening and closing is marked flapping and held open', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const start = evaluationTime(90)
  await insertSeries(sql, 'flaky', withSpikes(start, 80, [0, 20, 40, 75]))
  const off = { reopenMinutes: 0 }

  for (const spike of [0, 20]) {
    const opened = await detectAt(ctx, plus(start, spike), undefined, off)
    t.match(opened, { created: 1 })
    t.equal(opened.signals[0]?.flapping, false)
    t.match(await detectAt(ctx, plus(start, spike + 16), undefined, off), { resolved: 1 })
  }
  const third = await detectAt(ctx, plus(start, 40), undefined, off)
  t.match(third.signals[0], { flapping: true, status: 'open' }, 'the third opening within two hours is flapping')
  t.match(
    await detectAt(ctx, plus(start, 56), undefined, off),
    { resolved: 0 },
    'sixteen quiet minutes no longer close it'
  )
  const again = await detectAt(ctx, plus(start, 75), undefined, off)
  t.match(again, { created: 0, updated: 1 })
  t.match(
    again.signals[0],
    { id: third.signals[0]?.id, flapping: true, historical_occurrences: 2 },
    'held open, so the next spike does not re-fire'
  )
})

t.test('signals on different components that overlap in time are linked both ways', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const start = evaluationTime(200)
  const org = randomUUID()
  await insertSeries(sql, 'checkout', withSpikes(start, 180, [0]), org)
  await insertSeries(sql, 'payments', withSpikes(start, 180, [0]), org)
  await insertSeries(sql, 'elsewhere', withSpikes(start, 180, [0]), randomUUID())
  await insertSeries(sql, 'later', withSpikes(start, 180, [170]), org)

  const run = await detectAt(ctx, start)
  t.equal(run.created, 3)
  const byName = new Map(run.signals.map(row => [row.source_component_name, row]))
  const checkout = byName.get('checkout')
  const payments = byName.get('payments')
  t.same(checkout?.related_anomaly_ids, [payments?.id])
  t.same(payments?.related_anomaly_ids, [checkout?.id])
  t.same(byName.get('elsewhere')?.related_anomaly_ids, [], 'another organization is not linked')

  await detectAt(ctx, plus(start, 170), 'later')
  const correlated = await ctx.app.db.asCaller(
    SERVICE_CALLER,
    async tx => await correlatedAnomalies(tx, checkout?.id ?? '', 15, 50)
  )
  t.match(
    correlated.find(row => row.id === payments?.id),
    { correlation_reason: 'linked' }
  )
  t.notOk(
    correlated.some(row => row.source_component_name === 'later'),
    'a signal hours later is not correlated'
  )
})

t.test('a backtest at `at` reads no event and touches no signal from after it', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const at = evaluationTime(60)
  await insertSeries(sql, 'quiet-then', withSpikes(at, 30, [2]))
  await insertSeries(sql, 'live', withSpikes(at, 30, [-1, 10]))
  const live = await detectAt(ctx, plus(at, 10), 'live')
  t.equal(live.created, 1)

  const backtest = await detectAt(ctx, at)
  t.equal(backtest.backtest, true)
  t.same(backtest.signals, [], 'the spike two minutes after `at` is not seen, and the later live signal is left alone')
  t.same(await sql`select historical_occurrences, detection_timestamp from anomaly_signals`, [
    { historical_occurrences: 1, detection_timestamp: plus(at, 10) }
  ])
  t.match(await detectAt(ctx, plus(at, 2), 'quiet-then'), { created: 1 }, 'at the time of the spike it is found')
})

t.test(
  'a signal healing resolved is not reopened by the same spike still in the window; a new spike opens a new one',
  async t => {
    const ctx = await buildTestApp(t)
    const sql = ownerSql(t, ctx.databaseUrl)
    const live = async (): Promise<DetectionRun> => await runDetection({ db: ctx.app.db, analyzer }, { analyze: false })
    const now = Date.now()
    await insertSeries(
      sql,
      'api',
      minutely(new Date(now - 2 * MINUTE), 120, i => ({ latency_ms: i >= 117 ? 3000 : 200 + 6 * wobble(i) }))
    )
    const first = await live()
    t.match(first, { created: 1 })
    const id = first.signals[0]?.id as string
    // What the healing engine does once a verified action fixed it.
    t.ok(
      await ctx.app.db.asCaller(
        SERVICE_CALLER,
        async tx => await resolveAnomaly(tx, id, 'Resolved by self-healing: restart verified')
      )
    )

    const after = await live()
    t.match(after, { created: 0, updated: 0 }, 'the spike the resolved signal stood for does not reopen it')
    t.same(await sql`select status from anomaly_signals`, [{ status: 'resolved' }])

    await insertSeries(sql, 'api', [{ at: new Date(), latency_ms: 3100 }])
    const again = await live()
    t.match(again, { created: 1 }, 'a breach after the resolution is a new deviation')
    t.not(again.signals[0]?.id, id)
    t.equal(again.signals[0]?.observed_value, 3100)
  }
)
