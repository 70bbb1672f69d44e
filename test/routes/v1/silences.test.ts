// /v1/silences and /v1/deployments through the API: who may create, read, change and expire,
// the 400s naming the field for bad matchers, regexes and recurrences, the audit trail with
// the request id, and organizations kept apart.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, tokensFor, type Caller, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

const inHours = (hours: number): string => new Date(Date.now() + hours * 3_600_000).toISOString()

async function create(ctx: TestApp, caller: Caller, payload: Record<string, unknown>) {
  return await ctx.app.inject({ method: 'POST', url: '/v1/silences', headers: caller.headers, payload })
}

const valid = {
  matchers: [{ name: 'component_name', value: 'checkout-api' }],
  ends_at: inHours(2),
  comment: 'migrating the orders table'
}

t.test('an admin creates, lists, reads, changes and expires a silence; each step is audited', async t => {
  const ctx = await buildTestApp(t)
  const created = await create(ctx, ctx.admin, valid)
  t.equal(created.statusCode, 201, created.body)
  const silence = created.json()
  t.match(silence, {
    organization_id: ctx.admin.organizationId,
    matchers: [{ name: 'component_name', value: 'checkout-api', is_regex: false, is_equal: true }],
    comment: 'migrating the orders table',
    state: 'active',
    recurrence: null,
    created_by: ctx.admin.id
  })
  t.ok(Math.abs(Date.parse(silence.starts_at) - Date.now()) < 60_000, 'starts_at defaults to now')

  const pending = (
    await create(ctx, ctx.admin, {
      ...valid,
      starts_at: inHours(1),
      comment: 'later',
      matchers: [{ name: 'severity', value: 'low' }]
    })
  ).json()
  t.equal(pending.state, 'pending')

  const list = await ctx.app.inject({ url: '/v1/silences', headers: ctx.user.headers })
  t.equal(list.statusCode, 200)
  t.same(
    list.json().items.map((s: { id: string }) => s.id),
    [pending.id, silence.id],
    'members read them, newest first'
  )
  const filtered = async (query: string): Promise<string[]> =>
    (await ctx.app.inject({ url: `/v1/silences?${query}`, headers: ctx.user.headers }))
      .json()
      .items.map((s: { id: string }) => s.id)
  t.same(await filtered('state=pending'), [pending.id])
  t.same(await filtered('state=active'), [silence.id])
  t.same(await filtered('state=expired'), [])
  t.same(await filtered('matcher=severity%3Dlow'), [pending.id])
  t.same(await filtered('component_name=checkout-api'), [silence.id])
  t.same(await filtered('component_name=other'), [])
  const paged = (await ctx.app.inject({ url: '/v1/silences?limit=1', headers: ctx.user.headers })).json()
  t.equal(paged.items.length, 1)
  t.same(await filtered(`limit=1&cursor=${paged.next_cursor as string}`), [silence.id])

  t.match((await ctx.app.inject({ url: `/v1/silences/${silence.id}`, headers: ctx.user.headers })).json(), {
    id: silence.id
  })
  const until = inHours(5)
  const changed = await ctx.app.inject({
    method: 'PATCH',
    url: `/v1/silences/${silence.id}`,
    headers: ctx.admin.headers,
    payload: { ends_at: until, comment: 'the migration runs longer' }
  })
  t.equal(changed.statusCode, 200, changed.body)
  t.match(changed.json(), { comment: 'the migration runs longer', updated_by: ctx.admin.id })
  t.equal(Date.parse(changed.json().ends_at), Date.parse(until))

  const expired = await ctx.app.inject({
    method: 'DELETE',
    url: `/v1/silences/${silence.id}`,
    headers: ctx.admin.headers
  })
  t.equal(expired.statusCode, 200)
  t.equal(expired.json().state, 'expired')
  const again = await ctx.app.inject({
    method: 'DELETE',
    url: `/v1/silences/${silence.id}`,
    headers: ctx.admin.headers
  })
  t.equal(again.statusCode, 409, 'an ended silence cannot be expired again')
  t.equal(
    again.json().detail,
    `silence ${silence.id} ended at ${expired.json().ends_at}; create a new one instead`,
    'the detail gives the end as the API writes times (ISO 8601 UTC), not as JavaScript prints a Date'
  )
  const late = await ctx.app.inject({
    method: 'PATCH',
    url: `/v1/silences/${silence.id}`,
    headers: ctx.admin.headers,
    payload: { comment: 'too late' }
  })
  t.equal(late.statusCode, 409)
  const expiredPending = await ctx.app.inject({
    method: 'DELETE',
    url: `/v1/silences/${pending.id}`,
    headers: ctx.admin.headers
  })
  t.equal(expiredPending.json().state, 'expired', 'a pending silence expired never starts')
  t.equal(expiredPending.json().starts_at, expiredPending.json().ends_at)

  const sql = ownerSql(t, ctx.databaseUrl)
  const audit = await sql`
    select decision_type, actor, subject_id, organization_id, request_id, reasoning from decision_audit_log
    where component = 'silences' and subject_id = ${silence.id} order by created_at, id`
  t.match(audit, [
    {
      decision_type: 'silence_created',
      actor: ctx.admin.id,
      organization_id: ctx.admin.organizationId,
      reasoning: 'migrating the orders table'
    },
    { decision_type: 'silence_updated', actor: ctx.admin.id, reasoning: 'the migration runs longer' },
    { decision_type: 'silence_expired', actor: ctx.admin.id }
  ])
  t.ok(
    audit.every(row => typeof row.request_id === 'string' && row.request_id !== ''),
    'each names its request'
  )
})

t.test('members read but do not write; the service role names the organization', async t => {
  const ctx = await buildTestApp(t)
  t.equal((await create(ctx, ctx.user, valid)).statusCode, 403)
  const unnamed = await create(ctx, ctx.service, valid)
  t.equal(unnamed.statusCode, 400)
  t.match(unnamed.json().errors, [{ path: '/body/organization_id' }])
  const named = await create(ctx, ctx.service, { ...valid, organization_id: ctx.user.organizationId })
  t.equal(named.statusCode, 201)
  t.equal(named.json().created_by, null)
  t.equal(
    (
      await ctx.app.inject({
        method: 'DELETE',
        url: `/v1/silences/${named.json().id as string}`,
        headers: ctx.user.headers
      })
    ).statusCode,
    403
  )
  t.equal((await ctx.app.inject({ url: '/v1/silences' })).statusCode, 401)
  const replay = async () =>
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/silences',
      headers: { ...ctx.admin.headers, 'idempotency-key': 'silence-1' },
      payload: valid
    })
  const first = await replay()
  const second = await replay()
  t.equal(second.json().id, first.json().id, 'a retry with the same Idempotency-Key creates nothing new')
  t.equal(second.headers['idempotent-replayed'], 'true')
})

t.test('bad matchers, regexes, times and recurrences are 400 naming the field; nothing is stored', async t => {
  const ctx = await buildTestApp(t)
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['unknown matcher name', { matchers: [{ name: 'colour', value: 'red' }] }, '/body/matchers/0/name'],
    ['no matchers', { matchers: [] }, '/body/matchers'],
    [
      'invalid regex',
      { matchers: [{ name: 'component_name', value: 'checkout-(', is_regex: true }] },
      '/body/matchers/0/value'
    ],
    [
      'a lookahead, which a linear-time engine cannot run',
      {
        matchers: [
          { name: 'anomaly_type', value: 'x' },
          { name: 'component_name', value: '(?=checkout)checkout-api', is_regex: true }
        ]
      },
      '/body/matchers/1/value'
    ],
    [
      'a backreference',
      { matchers: [{ name: 'component_name', value: '(a)\\1', is_regex: true }] },
      '/body/matchers/0/value'
    ],
    [
      'too long a regex',
      { matchers: [{ name: 'component_name', value: 'a'.repeat(257), is_regex: true }] },
      '/body/matchers/0/value'
    ],
    ['matches everything', { matchers: [{ name: 'component_name', value: '.*', is_regex: true }] }, '/body/matchers'],
    ['ends before it starts', { starts_at: inHours(3), ends_at: inHours(2) }, '/body/ends_at'],
    ['ended already', { starts_at: inHours(-3), ends_at: inHours(-2) }, '/body/ends_at'],
    ['no comment', { comment: '' }, '/body/comment'],
    [
      'bad cron',
      { recurrence: { cron: '0 99 * * *', duration_minutes: 60, time_zone: 'UTC' } },
      '/body/recurrence/cron'
    ],
    [
      'bad rrule',
      { recurrence: { rrule: 'FREQ=SOMETIMES', duration_minutes: 60, time_zone: 'UTC' } },
      '/body/recurrence/rrule'
    ],
    [
      'an rrule with no date at all (February 30th)',
      {
        ends_at: inHours(24 * 365 * 5),
        recurrence: { rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', duration_minutes: 60, time_zone: 'UTC' }
      },
      '/body/recurrence/rrule'
    ],
    [
      'too frequent an rrule',
      { recurrence: { rrule: 'FREQ=SECONDLY', duration_minutes: 60, time_zone: 'UTC' } },
      '/body/recurrence/rrule'
    ],
    [
      'unknown time zone',
      { recurrence: { cron: '0 2 * * 0', duration_minutes: 60, time_zone: 'Europe/Atlantis' } },
      '/body/recurrence/time_zone'
    ],
    [
      'both cron and rrule',
      { recurrence: { cron: '0 2 * * 0', rrule: 'FREQ=WEEKLY', duration_minutes: 60, time_zone: 'UTC' } },
      '/body/recurrence'
    ],
    ['no duration', { recurrence: { cron: '0 2 * * 0', time_zone: 'UTC' } }, '/body/recurrence/duration_minutes']
  ]
  for (const [what, change, path] of cases) {
    const res = await create(ctx, ctx.admin, { ...valid, ...change })
    t.equal(res.statusCode, 400, what)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', what)
    t.ok(
      (res.json().errors as Array<{ path: string }>).some(error => error.path === path),
      `${what}: names ${path} (${res.body})`
    )
  }
  const past = await create(ctx, ctx.admin, { ...valid, ends_at: inHours(-2) })
  t.match(
    past.json().errors,
    [{ path: '/body/ends_at', message: 'must be in the future' }],
    'an end already past, with no starts_at given, says so rather than "must be after starts_at"'
  )
  const bad = await ctx.app.inject({
    method: 'POST',
    url: '/v1/deployments',
    headers: ctx.admin.headers,
    payload: { version: '4.2.1' }
  })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().errors, [{ path: '/body/component_name' }])
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(await sql`select id from silences`, [])
  t.same(await sql`select id from deployments`, [])
})

t.test("another organization's silences are never read, changed or expired", async t => {
  const ctx = await buildTestApp(t)
  const theirs = await tokensFor(randomUUID())
  const mine = (await create(ctx, ctx.admin, valid)).json()
  const other = (await create(ctx, theirs.admin, valid)).json()
  const ids = async (caller: Caller) =>
    (await ctx.app.inject({ url: '/v1/silences', headers: caller.headers }))
      .json()
      .items.map((s: { id: string }) => s.id)
  t.same(await ids(ctx.user), [mine.id])
  t.same(await ids(theirs.user), [other.id])
  for (const [method, payload] of [
    ['GET', undefined],
    ['PATCH', { comment: 'mine now' }],
    ['DELETE', undefined]
  ] as const) {
    const res = await ctx.app.inject({
      method,
      url: `/v1/silences/${mine.id as string}`,
      headers: theirs.admin.headers,
      ...(payload === undefined ? {} : { payload })
    })
    t.equal(res.statusCode, 404, `${method} of another organization's silence`)
  }
  const named = await ctx.app.inject({
    url: `/v1/silences?organization_id=${ctx.admin.organizationId}`,
    headers: theirs.admin.headers
  })
  t.equal(named.statusCode, 403, 'naming another organization is refused')
  t.equal(
    (await ctx.app.inject({ url: `/v1/silences/${mine.id as string}`, headers: ctx.admin.headers })).json().state,
    'active',
    'it is still active'
  )
})
