// GET /v1/escalations and acknowledge/resolve: users see and move the escalations of their
// own rows, admins and services all of them; keyset pages; problem+json for bad input.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Sql } from '../../../src/db/client.js'
import { buildTestApp, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

interface Page {
  items: Array<{ id: string; status: string }>
  next_cursor: string | null
}

async function escalation(sql: Sql, fields: Record<string, unknown>): Promise<string> {
  const row = {
    source_type: 'recovery_action',
    source_id: randomUUID(),
    severity: 'high',
    title: 'restart failed',
    description: 'needs a person',
    ...fields
  }
  const [inserted] = await sql<
    Array<{ id: string }>
  >`insert into escalation_events ${sql(row as never, Object.keys(row))} returning id`
  return (inserted as { id: string }).id
}

async function arrange(
  t: Parameters<typeof buildTestApp>[0]
): Promise<{ ctx: TestApp; sql: Sql; mine: string[]; theirs: string; platform: string }> {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const owner = { user_id: ctx.user.id, organization_id: ctx.user.organizationId }
  const mine = [
    await escalation(sql, {
      ...owner,
      severity: 'critical',
      source_type: 'anomaly',
      created_at: '2026-12-01T10:00:00Z'
    }),
    await escalation(sql, { ...owner, severity: 'high', created_at: '2026-12-01T11:00:00Z' }),
    await escalation(sql, { ...owner, severity: 'high', status: 'resolved', created_at: '2026-12-01T12:00:00Z' })
  ]
  const theirs = await escalation(sql, {
    user_id: ctx.otherUser.id,
    organization_id: ctx.user.organizationId,
    title: 'their secret escalation'
  })
  const platform = await escalation(sql, { title: 'platform escalation' })
  return { ctx, sql, mine, theirs, platform }
}

t.test('users list their own escalations, newest first, filtered and paged; admins and services see all', async t => {
  const { ctx, mine, theirs, platform } = await arrange(t)
  const list = async (headers: Record<string, string>, query = ''): Promise<Page> => {
    const res = await ctx.app.inject({ url: `/v1/escalations${query}`, headers })
    t.equal(res.statusCode, 200, `GET /v1/escalations${query}`)
    return res.json()
  }
  t.same(
    (await list(ctx.user.headers)).items.map(item => item.id),
    [...mine].reverse()
  )
  t.same(
    (await list(ctx.user.headers, '?status=open')).items.map(item => item.id),
    [mine[1], mine[0]]
  )
  t.same(
    (await list(ctx.user.headers, '?severity=critical')).items.map(item => item.id),
    [mine[0]]
  )
  t.same(
    (await list(ctx.user.headers, '?source_type=anomaly')).items.map(item => item.id),
    [mine[0]]
  )
  t.same(
    (await list(ctx.user.headers, '?since=2026-12-01T10:30:00Z')).items.map(item => item.id),
    [mine[2], mine[1]]
  )

  const first = await list(ctx.user.headers, '?limit=2')
  t.equal(first.items.length, 2)
  t.type(first.next_cursor, 'string')
  const second = await list(ctx.user.headers, `?limit=2&cursor=${first.next_cursor as string}`)
  t.same(
    second.items.map(item => item.id),
    [mine[0]]
  )
  t.equal(second.next_cursor, null)

  const adminIds = (await list(ctx.admin.headers)).items.map(item => item.id)
  const serviceIds = (await list(ctx.service.headers)).items.map(item => item.id)
  for (const id of [...mine, theirs, platform]) {
    t.ok(adminIds.includes(id), 'admins see every escalation')
    t.ok(serviceIds.includes(id), 'services see every escalation')
  }
  t.notOk(
    (await list(ctx.otherUser.headers)).items.some(item => mine.includes(item.id)),
    'another user sees none of mine'
  )
})

t.test('one escalation: its owner, admins and services read it; anyone else gets 404', async t => {
  const { ctx, mine } = await arrange(t)
  const id = mine[1] as string
  const own = await ctx.app.inject({ url: `/v1/escalations/${id}`, headers: ctx.user.headers })
  t.equal(own.statusCode, 200)
  t.match(own.json(), {
    id,
    user_id: ctx.user.id,
    status: 'open',
    severity: 'high',
    notifications_sent: [],
    request_id: null
  })
  t.equal((await ctx.app.inject({ url: `/v1/escalations/${id}`, headers: ctx.admin.headers })).statusCode, 200)
  t.equal((await ctx.app.inject({ url: `/v1/escalations/${id}`, headers: ctx.service.headers })).statusCode, 200)
  const hidden = await ctx.app.inject({ url: `/v1/escalations/${id}`, headers: ctx.otherUser.headers })
  t.equal(hidden.statusCode, 404)
  t.equal(hidden.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(
    (await ctx.app.inject({ url: `/v1/escalations/${randomUUID()}`, headers: ctx.admin.headers })).statusCode,
    404
  )
})

t.test(
  'acknowledge then resolve: who and when recorded, repeats unchanged, a resolved one cannot be acknowledged',
  async t => {
    const { ctx, sql, mine, theirs } = await arrange(t)
    const id = mine[1] as string
    const post = async (path: string, headers: Record<string, string>) =>
      await ctx.app.inject({ method: 'POST', url: `/v1/escalations/${path}`, headers })

    const acknowledged = await post(`${id}/acknowledge`, ctx.user.headers)
    t.equal(acknowledged.statusCode, 200)
    t.match(acknowledged.json(), {
      status: 'acknowledged',
      acknowledged_by: ctx.user.id,
      acknowledged_at: String,
      resolved_at: null
    })
    const again = await post(`${id}/acknowledge`, ctx.user.headers)
    t.equal(again.statusCode, 200)
    t.equal(again.json().acknowledged_at, acknowledged.json().acknowledged_at, 'a repeat changes nothing')

    const resolved = await post(`${id}/resolve`, ctx.user.headers)
    t.match(resolved.json(), { status: 'resolved', resolved_by: ctx.user.id, acknowledged_by: ctx.user.id })
    t.equal((await post(`${id}/resolve`, ctx.user.headers)).statusCode, 200, 'resolving again is a repeat')
    const late = await post(`${id}/acknowledge`, ctx.user.headers)
    t.equal(late.statusCode, 409)
    t.match(late.json(), { status: 409, detail: /is resolved/ })

    const direct = await post(`${mine[0] as string}/resolve`, ctx.user.headers)
    t.match(
      direct.json(),
      { status: 'resolved', acknowledged_by: ctx.user.id },
      'resolving an open one acknowledges it too'
    )

    const before = await sql`select * from escalation_events where id = ${theirs}`
    for (const action of ['acknowledge', 'resolve']) {
      const refused = await post(`${theirs}/${action}`, ctx.user.headers)
      t.equal(refused.statusCode, 404, `another user's escalation cannot be ${action}d`)
    }
    t.same(await sql`select * from escalation_events where id = ${theirs}`, before, 'and it is unchanged')

    const byAdmin = await post(`${theirs}/acknowledge`, ctx.admin.headers)
    t.match(byAdmin.json(), { status: 'acknowledged', acknowledged_by: ctx.admin.id })
    const byService = await post(`${theirs}/resolve`, ctx.service.headers)
    t.match(byService.json(), { status: 'resolved', resolved_by: null })
  }
)

t.test('bad input is a 400 naming the field; no token is 401', async t => {
  const { ctx } = await arrange(t)
  const cases: Array<[string, RegExp]> = [
    ['/v1/escalations?status=closed', /status/],
    ['/v1/escalations?severity=urgent', /severity/],
    ['/v1/escalations?since=yesterday', /since/],
    ['/v1/escalations?limit=0', /limit/],
    ['/v1/escalations?cursor=not-a-cursor', /cursor/],
    ['/v1/escalations?organization_id=x', /organization_id/],
    ['/v1/escalations/not-a-uuid', /id/]
  ]
  for (const [url, field] of cases) {
    const res = await ctx.app.inject({ url, headers: ctx.admin.headers })
    t.equal(res.statusCode, 400, url)
    t.match(JSON.stringify(res.json()), field, `${url} names the field`)
  }
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/v1/escalations/not-a-uuid/resolve', headers: ctx.admin.headers }))
      .statusCode,
    400
  )
  t.equal((await ctx.app.inject({ url: '/v1/escalations' })).statusCode, 401)
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: `/v1/escalations/${randomUUID()}/acknowledge` })).statusCode,
    401
  )
})
