// GET /v1/predictive-alerts[/{id}]: members read their organization's forecasts (never another
// organization's, nor the platform's), admins and the service role every organization's unless
// they name one; filters and keyset pages; bad filters are 400s naming the field. The alerts come
// from the forecaster itself, over leaks ingested through the API for two organizations that
// share a component name.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, tokensFor } from '../../helpers/app.js'
import { runPrediction } from '../../../src/services/prediction/run.js'
import { ingestSeries, wholeMinuteNow, wobble } from '../../services/prediction/leak.js'

interface Alert {
  id: string
  organization_id: string | null
  component_name: string
  metric_name: string
  severity: string
}
interface Page {
  items: Alert[]
  next_cursor: string | null
}

t.test(
  "each organization's forecasts stay its own; admins and services see all, by organization on request",
  async t => {
    const ctx = await buildTestApp(t)
    const other = await tokensFor(randomUUID())
    const now = wholeMinuteNow()
    const leak = (hours: number, i: number) => ({
      memory_usage_percent: 85 + 10 * hours + 0.5 * wobble(i),
      disk_usage_percent: 80 + 2 * hours + 0.2 * wobble(i)
    })
    await ingestSeries(ctx, ctx.user.organizationId, 'api', now, leak)
    await ingestSeries(ctx, other.user.organizationId, 'api', now, leak)
    await ingestSeries(ctx, null, 'api', now, leak)
    const run = await runPrediction({ db: ctx.app.jobDb, settings: ctx.config.prediction }, { at: new Date(now) })
    t.equal(run.opened, 6, 'memory and disk of three organizations’ api')

    const list = async (headers: { authorization: string }, query = ''): Promise<Page> => {
      const res = await ctx.app.inject({ url: `/v1/predictive-alerts${query}`, headers })
      t.equal(res.statusCode, 200, `list ${query}`)
      return res.json()
    }
    const mine = await list(ctx.user.headers)
    t.equal(mine.items.length, 2)
    t.ok(
      mine.items.every(alert => alert.organization_id === ctx.user.organizationId),
      'a member: their organization only'
    )
    t.equal((await list(ctx.otherUser.headers)).items.length, 2, 'a colleague sees them too')
    const theirs = await list(other.user.headers)
    t.ok(theirs.items.every(alert => alert.organization_id === other.user.organizationId))
    const named = await list(ctx.user.headers, `?organization_id=${other.user.organizationId}`)
    t.same(named.items, [], 'naming another organization shows nothing of it')
    t.same((await list(ctx.user.headers, '?organization_id=platform')).items, [], "nor the platform's")

    t.equal((await list(ctx.service.headers)).items.length, 6, 'the service role: every organization')
    t.equal((await list(ctx.admin.headers)).items.length, 6, 'an admin: every organization')
    const platform = await list(ctx.service.headers, '?organization_id=platform')
    t.ok(platform.items.length === 2 && platform.items.every(alert => alert.organization_id === null))
    const filtered = await list(
      ctx.service.headers,
      `?organization_id=${ctx.user.organizationId}&metric_name=memory_usage_percent&status=active&component_name=api`
    )
    t.equal(filtered.items.length, 1)
    t.equal(filtered.items[0]?.metric_name, 'memory_usage_percent')
    t.same((await list(ctx.service.headers, '?status=resolved')).items, [])

    const first = await list(ctx.service.headers, '?limit=4')
    t.equal(first.items.length, 4)
    const second = await list(ctx.service.headers, `?limit=4&cursor=${first.next_cursor ?? ''}`)
    t.equal(second.items.length, 2)
    t.equal(second.next_cursor, null)
    t.equal(new Set([...first.items, ...second.items].map(alert => alert.id)).size, 6, 'no repeat across pages')

    const own = mine.items[0] as Alert
    const read = await ctx.app.inject({ url: `/v1/predictive-alerts/${own.id}`, headers: ctx.otherUser.headers })
    t.equal(read.statusCode, 200)
    t.equal(read.json().id, own.id)
    t.match(read.json(), { status: 'active', threshold_value: Number, forecast_target_time: String })
    const stranger = await ctx.app.inject({ url: `/v1/predictive-alerts/${own.id}`, headers: other.user.headers })
    t.equal(stranger.statusCode, 404, "another organization's alert is not found")
    const platformOne = platform.items[0] as Alert
    const member = await ctx.app.inject({ url: `/v1/predictive-alerts/${platformOne.id}`, headers: ctx.user.headers })
    t.equal(member.statusCode, 404, "a member does not see the platform's")
    const admin = await ctx.app.inject({ url: `/v1/predictive-alerts/${platformOne.id}`, headers: ctx.admin.headers })
    t.equal(admin.statusCode, 200)
  }
)

t.test('bad filters and ids are 400s naming the field; no token is 401', async t => {
  const ctx = await buildTestApp(t)
  for (const [query, field] of [
    ['?metric_name=cpu_usage_percent', 'metric_name'],
    ['?status=open', 'status'],
    ['?organization_id=acme', 'organization_id'],
    ['?cursor=not-a-cursor', 'cursor'],
    ['?limit=0', 'limit']
  ] as const) {
    const res = await ctx.app.inject({ url: `/v1/predictive-alerts${query}`, headers: ctx.service.headers })
    t.equal(res.statusCode, 400, query)
    t.match(res.json().detail, field, `${query} names ${field}`)
  }
  const badId = await ctx.app.inject({ url: '/v1/predictive-alerts/nope', headers: ctx.service.headers })
  t.equal(badId.statusCode, 400)
  t.equal((await ctx.app.inject({ url: '/v1/predictive-alerts' })).statusCode, 401)
})
