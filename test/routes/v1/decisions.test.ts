// GET /v1/decisions: the audit trail under RLS (users the entries about their own rows,
// admins and services all), filtered by subject, component, decision type and time, paged.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Sql } from '../../../src/db/client.js'
import { buildTestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

interface Page {
  items: Array<{ id: string }>
  next_cursor: string | null
}

async function decision(sql: Sql, fields: Record<string, unknown>): Promise<string> {
  const row = {
    decision_type: 'attempt',
    component: 'self-healing-engine',
    subject_type: 'recovery_action',
    subject_id: randomUUID(),
    outcome: 'succeeded',
    reasoning: 'delivered',
    confidence_score: 0.75,
    duration_ms: 12.5,
    ...fields
  }
  const [inserted] = await sql<
    Array<{ id: string }>
  >`insert into decision_audit_log ${sql(row as never, Object.keys(row))} returning id`
  return (inserted as { id: string }).id
}

t.test('users see the entries about their own rows; filters, pages, admins and services', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const subject = randomUUID()
  const owner = { user_id: ctx.user.id, organization_id: ctx.user.organizationId }
  const mine = [
    await decision(sql, { ...owner, subject_id: subject, created_at: '2026-12-01T10:00:00Z' }),
    await decision(sql, {
      ...owner,
      subject_id: subject,
      decision_type: 'verification',
      created_at: '2026-12-01T11:00:00Z'
    }),
    await decision(sql, {
      ...owner,
      component: 'detector',
      decision_type: 'anomaly_detected',
      subject_type: 'anomaly',
      created_at: '2026-12-01T12:00:00Z'
    })
  ]
  const theirs = await decision(sql, { user_id: ctx.otherUser.id, subject_id: subject, reasoning: 'their secret' })
  const system = await decision(sql, {
    component: 'monitor',
    decision_type: 'monitor_run',
    subject_type: null,
    subject_id: null
  })
  const list = async (headers: Record<string, string>, query = ''): Promise<Page> => {
    const res = await ctx.app.inject({ url: `/v1/decisions${query}`, headers })
    t.equal(res.statusCode, 200, `GET /v1/decisions${query}`)
    return res.json()
  }
  const ids = (page: Page): string[] => page.items.map(item => item.id)

  t.same(ids(await list(ctx.user.headers)), [...mine].reverse())
  t.same(
    ids(await list(ctx.user.headers, `?subject_id=${subject}`)),
    [mine[1], mine[0]],
    'their entry about the same subject stays hidden'
  )
  t.same(ids(await list(ctx.user.headers, '?subject_type=anomaly')), [mine[2]])
  t.same(ids(await list(ctx.user.headers, '?component=detector')), [mine[2]])
  t.same(ids(await list(ctx.user.headers, '?decision_type=verification')), [mine[1]])
  t.same(ids(await list(ctx.user.headers, '?since=2026-12-01T10:30:00Z&until=2026-12-01T12:00:00Z')), [mine[1]])

  const first = await list(ctx.user.headers, '?limit=2')
  t.same(ids(first), [mine[2], mine[1]])
  const second = await list(ctx.user.headers, `?limit=2&cursor=${first.next_cursor as string}`)
  t.same(ids(second), [mine[0]])
  t.equal(second.next_cursor, null)

  const one = await ctx.app.inject({ url: `/v1/decisions/${mine[0] as string}`, headers: ctx.user.headers })
  t.equal(one.statusCode, 200)
  t.match(
    one.json(),
    { id: mine[0], decision_type: 'attempt', confidence_score: 0.75, duration_ms: 12.5, input: {}, request_id: null },
    'numbers are numbers'
  )
  const hidden = await ctx.app.inject({ url: `/v1/decisions/${theirs}`, headers: ctx.user.headers })
  t.equal(hidden.statusCode, 404)
  t.equal(hidden.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.notMatch(hidden.body, /their secret/)
  t.equal(
    (await ctx.app.inject({ url: `/v1/decisions/${system}`, headers: ctx.user.headers })).statusCode,
    404,
    "the system's own entries are not a user's"
  )

  for (const caller of [ctx.admin, ctx.service]) {
    const all = ids(await list(caller.headers))
    t.same(
      [...mine, theirs, system].filter(id => !all.includes(id)),
      [],
      'admins and services see every entry'
    )
    t.equal((await ctx.app.inject({ url: `/v1/decisions/${theirs}`, headers: caller.headers })).statusCode, 200)
  }
})

t.test('bad input is a 400 naming the field; no token is 401; the trail cannot be written through the API', async t => {
  const ctx = await buildTestApp(t)
  const cases: Array<[string, RegExp]> = [
    ['/v1/decisions?subject_id=nope', /subject_id/],
    ['/v1/decisions?until=tomorrow', /until/],
    ['/v1/decisions?decision_type=Not%20Snake', /decision_type/],
    ['/v1/decisions?limit=501', /limit/],
    ['/v1/decisions?cursor=xyz', /cursor/],
    ['/v1/decisions?user_id=x', /user_id/],
    ['/v1/decisions/123', /id/]
  ]
  for (const [url, field] of cases) {
    const res = await ctx.app.inject({ url, headers: ctx.admin.headers })
    t.equal(res.statusCode, 400, url)
    t.match(JSON.stringify(res.json()), field, `${url} names the field`)
  }
  t.equal((await ctx.app.inject({ url: '/v1/decisions' })).statusCode, 401)
  const write = await ctx.app.inject({
    method: 'POST',
    url: '/v1/decisions',
    headers: ctx.admin.headers,
    payload: { decision_type: 'x' }
  })
  t.equal(write.statusCode, 405, 'the trail is read-only')
  t.equal(write.headers.allow, 'GET, HEAD')
})
