// What a silence does to healing, on a real database through the API: a one-off and a
// recurring silence hold an incident's action and escalation (nothing stored, nothing sent),
// the signal is acted on once the silence ends, a recurring window follows its time zone
// across a daylight-saving change, a deploy marker opens its window and gives
// rollback_deployment its version, and another organization's silence never holds my signal.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { SERVICE_CALLER, withCaller } from '../../../src/db/caller.js'
import type { Sql } from '../../../src/db/client.js'
import type { AnomalyRow } from '../../../src/schemas/anomalies.js'
import { ruleBasedAnalysis } from '../../../src/services/analysis/index.js'
import { buildPrompt } from '../../../src/services/analysis/prompt.js'
import { deploymentBefore } from '../../../src/services/silences/deployments.js'
import { silenceHolding } from '../../../src/services/silences/hold.js'
import { buildTestApp, tokensFor, type Caller, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { ALLOWED_ACTIONS, anomalyFacts } from '../analysis/facts.js'

const inHours = (hours: number): string => new Date(Date.now() + hours * 3_600_000).toISOString()

interface Decision {
  anomaly_id: string
  held_by: string | null
  silence_id: string | null
  action_type: string
  action_id: string | null
}

async function signal(sql: Sql, organizationId: string, fields: Record<string, unknown> = {}): Promise<string> {
  const row = {
    organization_id: organizationId,
    anomaly_type: 'queue_backlog',
    severity: 'high',
    source_type: 'alertmanager',
    source_component_name: 'checkout-api',
    ...fields
  }
  const [inserted] = await sql<
    Array<{ id: string }>
  >`insert into anomaly_signals ${sql(row as never, Object.keys(row))} returning id`
  return (inserted as { id: string }).id
}

async function silence(
  ctx: TestApp,
  caller: Caller,
  payload: Record<string, unknown>
): Promise<{ id: string; ends_at: string }> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/silences',
    headers: caller.headers,
    payload: { comment: 'maintenance', ends_at: inHours(2), ...payload }
  })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json()
}

async function heal(ctx: TestApp): Promise<Decision[]> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/self-healing/run',
    headers: ctx.admin.headers,
    payload: {}
  })
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json().decisions
}

async function expire(ctx: TestApp, id: string): Promise<void> {
  const res = await ctx.app.inject({ method: 'DELETE', url: `/v1/silences/${id}`, headers: ctx.admin.headers })
  if (res.statusCode !== 200) throw new Error(res.body)
}

const count = async (sql: Sql, table: 'recovery_actions' | 'escalation_events'): Promise<number> =>
  Number((await sql`select count(*)::int as n from ${sql(table)}`)[0]?.n)

t.test('a one-off silence holds the action and the escalation; the signal is acted on once it ends', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const org = ctx.admin.organizationId
  const id = await signal(sql, org)
  const held = await silence(ctx, ctx.admin, {
    matchers: [{ name: 'component_name', value: 'checkout-.*', is_regex: true }]
  })

  const first = await heal(ctx)
  t.match(first, [
    { anomaly_id: id, held_by: 'silence', silence_id: held.id, action_id: null, action_type: 'alert_escalation' }
  ])
  t.equal(await count(sql, 'recovery_actions'), 0, 'nothing automatic is stored')
  t.equal(await count(sql, 'escalation_events'), 0, 'nothing is escalated')
  const [marked] = await sql`select status, silence_id, silenced_until from anomaly_signals where id = ${id}`
  t.equal(marked?.status, 'open', 'the signal is kept')
  t.equal(marked?.silence_id, held.id, 'marked with the silence')
  t.equal((marked?.silenced_until as Date).toISOString(), new Date(held.ends_at).toISOString())
  const audit =
    await sql`select decision, outcome, organization_id from decision_audit_log where decision_type = 'guard_held' and subject_id = ${id}`
  t.match(audit, [
    { decision: { held_by: 'silence', silence_id: held.id }, outcome: 'held_silence', organization_id: org }
  ])

  const metrics = (await ctx.app.inject('/metrics')).body
  t.match(metrics, /core314_signals_silenced 1\b/)
  t.match(metrics, /core314_silences_active\{recurring="false"\} 1\b/)

  t.same(await heal(ctx), [], 'a held signal waits: no decision, no second audit entry')
  t.equal((await sql`select id from decision_audit_log where decision_type = 'guard_held'`).length, 1)

  await expire(ctx, held.id)
  const after = await heal(ctx)
  t.match(after, [{ anomaly_id: id, held_by: null, silence_id: null, action_type: 'alert_escalation' }])
  t.equal(await count(sql, 'recovery_actions'), 1, 'acted on once the silence ended')
  t.equal(await count(sql, 'escalation_events'), 1, 'and escalated')
})

t.test('a silence matches on Alertmanager labels, severity and negative matchers', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const org = ctx.admin.organizationId
  const labelled = await signal(sql, org, {
    source_component_name: 'payments',
    metadata: { alertmanager: { labels: { team: 'payments', environment: 'staging' } } }
  })
  const critical = await signal(sql, org, { source_component_name: 'search', severity: 'critical' })
  const other = await signal(sql, org, { source_component_name: 'ledger', metadata: { environment: 'production' } })
  await silence(ctx, ctx.admin, {
    matchers: [
      { name: 'label:team', value: 'payments' },
      { name: 'environment', value: 'prod.*', is_regex: true, is_equal: false }
    ]
  })
  await silence(ctx, ctx.admin, {
    matchers: [
      { name: 'component_name', value: 'search' },
      { name: 'severity', value: 'critical' }
    ]
  })
  const decisions = await heal(ctx)
  const heldBy = (id: string) => decisions.find(decision => decision.anomaly_id === id)?.held_by
  t.equal(heldBy(labelled), 'silence')
  t.equal(heldBy(critical), 'silence')
  t.equal(heldBy(other), null)
})

t.test('a regex that backtracks exponentially runs in linear time: a long label never stalls the engine', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const org = ctx.admin.organizationId
  // It passes a star-height check, yet a backtracking engine takes 2^n steps on n letters a
  // without a b: with 30 of them the process froze for minutes, every organization's work with it.
  const exponential = await silence(ctx, ctx.admin, {
    matchers: [{ name: 'label:alertname', value: '(a|a)*b', is_regex: true }]
  })
  const stalling = await signal(sql, org, {
    metadata: { alertmanager: { labels: { alertname: 'a'.repeat(30) } } }
  })
  const held = await signal(sql, org, {
    source_component_name: 'search',
    metadata: { alertmanager: { labels: { alertname: `${'a'.repeat(30)}b` } } }
  })
  const started = performance.now()
  const decisions = await heal(ctx)
  const elapsed = performance.now() - started
  t.ok(elapsed < 5000, `decided in ${Math.round(elapsed)} ms`)
  const decision = (id: string) => decisions.find(each => each.anomaly_id === id)
  t.equal(decision(stalling)?.held_by, null, 'the silence does not match the long label')
  t.equal(decision(held)?.silence_id, exponential.id, 'the regex still matches what it should')
})

function localNow(zone: string): { hour: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    hour: '2-digit',
    weekday: 'short'
  }).formatToParts(new Date())
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(
    parts.find(p => p.type === 'weekday')?.value ?? ''
  )
  return { hour: Number(parts.find(p => p.type === 'hour')?.value), weekday }
}

t.test('a recurring window holds only while it is open: cron and RRULE in their time zones', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const org = ctx.admin.organizationId
  const kolkata = localNow('Asia/Kolkata')
  const chicago = localNow('America/Chicago')
  const days = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA']
  const cronHeld = await signal(sql, org, { source_component_name: 'checkout-api' })
  const rruleHeld = await signal(sql, org, { source_component_name: 'billing-api' })
  const closed = await signal(sql, org, { source_component_name: 'search-api' })
  // Windows opened at the start of this local hour for two hours: open now, whatever the time.
  const weekly = await silence(ctx, ctx.admin, {
    matchers: [{ name: 'component_name', value: 'checkout-api' }],
    ends_at: inHours(24 * 30),
    recurrence: { cron: `0 ${kolkata.hour} * * ${kolkata.weekday}`, duration_minutes: 120, time_zone: 'Asia/Kolkata' }
  })
  const rrule = await silence(ctx, ctx.admin, {
    matchers: [{ name: 'component_name', value: 'billing-api' }],
    starts_at: inHours(-24 * 8),
    ends_at: inHours(24 * 30),
    recurrence: {
      rrule: `FREQ=WEEKLY;BYDAY=${days[chicago.weekday] ?? 'SU'};BYHOUR=${chicago.hour};BYMINUTE=0;BYSECOND=0`,
      duration_minutes: 120,
      time_zone: 'America/Chicago'
    }
  })
  // Opens three hours from now each day for an hour: closed now.
  await silence(ctx, ctx.admin, {
    matchers: [{ name: 'component_name', value: 'search-api' }],
    ends_at: inHours(24 * 30),
    recurrence: { cron: `0 ${(kolkata.hour + 3) % 24} * * *`, duration_minutes: 60, time_zone: 'Asia/Kolkata' }
  })
  const decisions = await heal(ctx)
  const of = (id: string) => decisions.find(decision => decision.anomaly_id === id)
  t.match(of(cronHeld), { held_by: 'silence', silence_id: weekly.id })
  t.match(of(rruleHeld), { held_by: 'silence', silence_id: rrule.id })
  t.match(of(closed), { held_by: null, action_type: 'alert_escalation' })
  const [hold] = await sql`select silenced_until from anomaly_signals where id = ${cronHeld}`
  const until = (hold?.silenced_until as Date).getTime()
  t.ok(until > Date.now() && until <= Date.now() + 2 * 3_600_000, 'held until the window closes, not the silence')
  t.equal((await sql`select id from escalation_events`).length, 1, 'only the signal outside a window is escalated')
  t.match((await ctx.app.inject('/metrics')).body, /core314_silences_active\{recurring="true"\} 3\b/)
})

t.test('a weekly window keeps its local time across a daylight-saving change (Europe/Berlin, 2027-03-28)', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const org = ctx.admin.organizationId
  const id = await signal(sql, org)
  // Sundays 01:00-03:00 Berlin time: 00:00Z-02:00Z in winter (CET), 23:00Z-01:00Z in summer (CEST).
  for (const recurrence of [
    { cron: '0 1 * * 0', duration_minutes: 120, time_zone: 'Europe/Berlin' },
    { rrule: 'FREQ=WEEKLY;BYDAY=SU;BYHOUR=1;BYMINUTE=0;BYSECOND=0', duration_minutes: 120, time_zone: 'Europe/Berlin' }
  ]) {
    const window = await silence(ctx, ctx.admin, {
      matchers: [{ name: 'component_name', value: 'checkout-api' }],
      starts_at: '2027-03-01T00:00:00Z',
      ends_at: '2027-04-30T00:00:00Z',
      recurrence
    })
    const [row] = await sql<AnomalyRow[]>`select * from anomaly_signals where id = ${id}`
    const at = async (time: string): Promise<string | null> => {
      const hold = await withCaller(
        ctx.app.db.sql,
        SERVICE_CALLER,
        async tx => await silenceHolding(tx, row as AnomalyRow, new Date(time))
      )
      t.ok(hold === null || hold.silence_id === window.id)
      return hold?.until.toISOString() ?? null
    }
    const kind = recurrence.cron === undefined ? 'rrule' : 'cron'
    t.equal(await at('2027-03-21T00:30:00Z'), '2027-03-21T02:00:00.000Z', `${kind}: winter, 01:30 CET`)
    t.equal(await at('2027-03-21T02:30:00Z'), null, `${kind}: winter, 03:30 CET is after the window`)
    t.equal(
      await at('2027-03-28T01:30:00Z'),
      '2027-03-28T02:00:00.000Z',
      `${kind}: the night of the change: 03:30 CEST, 90 minutes after the window opened at 01:00 CET`
    )
    t.equal(
      await at('2027-04-03T23:30:00Z'),
      '2027-04-04T01:00:00.000Z',
      `${kind}: summer, 01:30 CEST (Saturday in UTC)`
    )
    t.equal(await at('2027-04-04T01:30:00Z'), null, `${kind}: summer, 03:30 CEST is after the window`)
    t.equal(await at('2027-02-28T00:30:00Z'), null, `${kind}: before starts_at`)
    await expire(ctx, window.id)
  }
})

t.test('a deploy marker opens its window, is listed, cited, and gives rollback_deployment its version', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const org = ctx.user.organizationId
  const deploy = async (payload: Record<string, unknown>) =>
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/deployments',
      headers: ctx.service.headers,
      payload: { organization_id: org, component_name: 'checkout-api', ...payload }
    })
  const first = await deploy({ version: '4.2.0' })
  t.equal(first.statusCode, 201, first.body)
  t.match(first.json(), { version: '4.2.0', previous_version: null, organization_id: org, environment: null })
  const second = (await deploy({ version: '4.2.1', environment: 'production' })).json()
  t.match(second, { version: '4.2.1', previous_version: '4.2.0', environment: 'production' })

  const window = (
    await ctx.app.inject({ url: `/v1/silences/${second.silence_id as string}`, headers: ctx.user.headers })
  ).json()
  t.equal(window.state, 'active')
  t.equal(
    Date.parse(window.ends_at) - Date.parse(window.starts_at),
    10 * 60_000,
    'DEPLOY_WINDOW_MINUTES, 10 by default'
  )
  t.match(window.matchers, [{ name: 'component_name', value: 'checkout-api' }, { name: 'environment' }])

  const list = (await ctx.app.inject({ url: '/v1/deployments', headers: ctx.user.headers })).json()
  t.same(
    list.items.map((d: { version: string }) => d.version),
    ['4.2.1', '4.2.0']
  )
  t.same(
    (await ctx.app.inject({ url: '/v1/deployments?component_name=search-api', headers: ctx.user.headers })).json()
      .items,
    []
  )
  t.equal(
    (await ctx.app.inject({ url: '/v1/deployments', headers: (await tokensFor(randomUUID())).user.headers })).json()
      .items.length,
    0
  )

  const deployed = await signal(sql, org, { anomaly_type: 'error_rate_increase', severity: 'critical' })
  const staging = await signal(sql, org, {
    anomaly_type: 'latency_spike',
    source_component_name: 'search-api'
  })
  const decisions = await heal(ctx)
  t.match(
    decisions.find(decision => decision.anomaly_id === deployed),
    { held_by: 'silence', silence_id: second.silence_id, action_type: 'rollback_deployment' }
  )
  t.match(
    decisions.find(decision => decision.anomaly_id === staging),
    { held_by: null }
  )

  const cited = await withCaller(
    ctx.app.db.sql,
    SERVICE_CALLER,
    async tx => await deploymentBefore(tx, org, 'checkout-api', new Date(Date.now() + 120_000))
  )
  t.match(cited, { version: '4.2.1', previous_version: '4.2.0', environment: 'production' })
  t.ok((cited?.minutes_before ?? 0) >= 2, 'minutes between the deploy and the signal')
  const facts = anomalyFacts({ recent_deployment: cited })
  t.match(
    ruleBasedAnalysis(facts, ALLOWED_ACTIONS).root_cause,
    /after deploy 4\.2\.1 of checkout-api \(previously 4\.2\.0\)/
  )
  t.match(buildPrompt(facts, ALLOWED_ACTIONS)[1]?.content, /"recent_deployment":\{"version":"4\.2\.1"/)
  t.notMatch(ruleBasedAnalysis(anomalyFacts(), ALLOWED_ACTIONS).root_cause, /after deploy/, 'no deploy, no mention')

  await expire(ctx, first.json().silence_id)
  await expire(ctx, second.silence_id)
  t.match(await heal(ctx), [{ anomaly_id: deployed, held_by: null, action_type: 'rollback_deployment' }])
  const [rollback] =
    await sql`select action_parameters, execution_status from recovery_actions where triggered_by_anomaly_id = ${deployed}`
  t.same(rollback?.action_parameters, { to_version: '4.2.0' }, 'rolls back to the version before the last deploy')
  t.equal(rollback?.execution_status, 'pending_approval')

  const asked = await ctx.app.inject({
    method: 'POST',
    url: '/v1/recovery-actions',
    headers: ctx.service.headers,
    payload: {
      organization_id: org,
      action_type: 'rollback_deployment',
      action_name: 'roll back',
      target_component_name: 'checkout-api'
    }
  })
  t.equal(asked.statusCode, 201, asked.body)
  t.same(asked.json().action_parameters, { to_version: '4.2.0' })
  const told = await ctx.app.inject({
    method: 'POST',
    url: '/v1/recovery-actions',
    headers: ctx.service.headers,
    payload: {
      organization_id: org,
      action_type: 'rollback_deployment',
      action_name: 'roll back',
      target_component_name: 'checkout-api',
      action_parameters: { to_version: '3.9.0' }
    }
  })
  t.same(told.json().action_parameters, { to_version: '3.9.0' }, 'a given version stays')
})

t.test("another organization's silence never holds my signal", async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const theirs = await tokensFor(randomUUID())
  const mine = await signal(sql, ctx.admin.organizationId)
  const platform = await signal(sql, null as unknown as string, {
    source_component_name: 'checkout-api',
    anomaly_type: 'disk_full'
  })
  await silence(ctx, theirs.admin, { matchers: [{ name: 'component_name', value: 'checkout-api' }] })
  const decisions = await heal(ctx)
  t.match(
    decisions.find(decision => decision.anomaly_id === mine),
    { held_by: null, action_type: 'alert_escalation' }
  )
  t.match(
    decisions.find(decision => decision.anomaly_id === platform),
    { held_by: null }
  )
  t.same(await sql`select id from anomaly_signals where silence_id is not null`, [])
})
