// Per-organization limits on what a tenant creates through the API (channels have theirs in
// channels.test.ts): live ingest keys, silences pending or in force (deploy windows included),
// runbooks in use, stored runbook versions and registered components. Each holds when creates
// race and is each organization's own; most free room when one is revoked, expired or deleted.
// Revoked keys stay listed, the newest 100.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, tokensFor, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'

type Headers = Record<string, string>

async function post(ctx: TestApp, url: string, headers: Headers, payload: Record<string, unknown>) {
  return await ctx.app.inject({ method: 'POST', url, headers, payload })
}

/** Fires the creates at once and counts the answers by status. */
async function race(creates: Array<() => Promise<{ statusCode: number }>>): Promise<Record<number, number>> {
  const answers = await Promise.all(creates.map(async create => await create()))
  const byStatus: Record<number, number> = {}
  for (const { statusCode } of answers) byStatus[statusCode] = (byStatus[statusCode] ?? 0) + 1
  return byStatus
}

t.test(
  'an organization has at most 100 live ingest keys, even when created at once; revoked ones free room',
  async t => {
    const ctx = await buildTestApp(t)
    const create = (headers: Headers, n: number) => async () =>
      await post(ctx, '/v1/ingest-keys', headers, { name: `collector ${n}` })
    t.same(await race(Array.from({ length: 110 }, (_, n) => create(ctx.admin.headers, n))), { 201: 100, 409: 10 })
    const refused = await create(ctx.admin.headers, 111)()
    t.match(refused.json(), { status: 409, code: 'INGEST_KEY_LIMIT_REACHED', detail: /100 live ingest keys/ })
    const sql = ownerSql(t, ctx.databaseUrl)
    t.equal((await sql`select count(*)::int as n from ingest_keys`)[0]?.n, 100)

    const theirs = await tokensFor(randomUUID())
    t.equal((await create(theirs.admin.headers, 0)()).statusCode, 201, "the limit is each organization's own")
    const [oldest] = await sql`select id from ingest_keys where organization_id = ${ctx.admin.organizationId} limit 1`
    const revoked = await ctx.app.inject({
      method: 'DELETE',
      url: `/v1/ingest-keys/${oldest?.id as string}`,
      headers: ctx.admin.headers
    })
    t.equal(revoked.statusCode, 200)
    t.equal((await create(ctx.admin.headers, 112)()).statusCode, 201, 'a revoked key does not count')
  }
)

t.test(
  "an organization's list keeps its 100 most recently revoked ingest keys; older revoked ones go, live ones never",
  async t => {
    const ctx = await buildTestApp(t)
    const sql = ownerSql(t, ctx.databaseUrl)
    const theirs = randomUUID()
    const seed = async (organization: string, count: number, revokedMinutesAgo: number | null) =>
      await sql`
        insert into ingest_keys (organization_id, name, key_prefix, key_hash, revoked_at)
        select ${organization}, 'seeded ' || n, 'c314_seeded',
          decode(md5(${organization} || ${String(revokedMinutesAgo)} || n) || md5(n || ${organization}), 'hex'),
          case when ${revokedMinutesAgo}::int is null then null
            else now() - make_interval(mins => ${revokedMinutesAgo}::int + n) end
        from generate_series(1, ${count}) as n`
    // 100 revoked already (the oldest revoked 200 minutes ago), 5 live, and another organization's revoked keys.
    await seed(ctx.admin.organizationId, 100, 100)
    await seed(ctx.admin.organizationId, 5, null)
    await seed(theirs, 120, 500)

    const created = await post(ctx, '/v1/ingest-keys', ctx.admin.headers, { name: 'rotated' })
    const revoked = await ctx.app.inject({
      method: 'DELETE',
      url: `/v1/ingest-keys/${created.json().id as string}`,
      headers: ctx.admin.headers
    })
    t.equal(revoked.statusCode, 200)

    const count = async (organization: string, revokedKeys: boolean) =>
      (
        await sql`select count(*)::int as n from ingest_keys
          where organization_id = ${organization} and (revoked_at is not null) = ${revokedKeys}`
      )[0]?.n
    t.equal(await count(ctx.admin.organizationId, true), 100, 'the newest 100 revoked keys stay')
    t.equal(await count(ctx.admin.organizationId, false), 5, 'no live key goes')
    t.equal(await count(theirs, true), 120, "another organization's keys are untouched")
    const [oldest] = await sql`select count(*)::int as n from ingest_keys where name = 'seeded 100'
      and organization_id = ${ctx.admin.organizationId}`
    t.equal(oldest?.n, 0, 'the key revoked longest ago went')
    const list = await ctx.app.inject({ url: '/v1/ingest-keys', headers: ctx.admin.headers })
    t.equal(list.json().length, 105)
    t.ok(
      list.json().some((key: { name: string; revoked_at: string | null }) => key.name === 'rotated' && key.revoked_at),
      'the key just revoked is listed'
    )
  }
)

t.test(
  'an organization has at most 1,000 silences pending or in force; deploy windows count, ended ones do not',
  async t => {
    const ctx = await buildTestApp(t)
    const sql = ownerSql(t, ctx.databaseUrl)
    const organization = ctx.admin.organizationId
    const hour = 3_600_000
    // 995 in force or pending, and ended ones that do not count.
    await sql`
    insert into silences (organization_id, matchers, starts_at, ends_at, comment)
    select ${organization}, '[{"name":"component_name","value":"checkout","is_regex":false,"is_equal":true}]',
      now() + (case when n % 2 = 0 then interval '1 hour' else interval '0' end) - interval '1 minute',
      now() + interval '3 hours', 'seeded'
    from generate_series(1, 995) as n`
    await sql`
    insert into silences (organization_id, matchers, starts_at, ends_at, comment)
    select ${organization}, '[{"name":"component_name","value":"checkout","is_regex":false,"is_equal":true}]',
      now() - interval '2 hours', now() - interval '1 hour', 'ended'
    from generate_series(1, 50)`
    const silence = (headers: Headers) => async () =>
      await post(ctx, '/v1/silences', headers, {
        matchers: [{ name: 'component_name', value: 'checkout' }],
        ends_at: new Date(Date.now() + hour).toISOString(),
        comment: 'maintenance'
      })
    const deploy = (n: number) => async () =>
      await post(ctx, '/v1/deployments', ctx.admin.headers, { component_name: 'checkout', version: `1.0.${n}` })
    t.same(
      await race([
        ...Array.from({ length: 6 }, () => silence(ctx.admin.headers)),
        ...Array.from({ length: 6 }, (_, n) => deploy(n))
      ]),
      { 201: 5, 409: 7 }
    )
    t.match((await silence(ctx.admin.headers)()).json(), { status: 409, code: 'SILENCE_LIMIT_REACHED' })
    t.match(
      (await deploy(99)()).json(),
      { status: 409, code: 'SILENCE_LIMIT_REACHED' },
      'a deploy marker opens a window'
    )
    t.equal(
      (await sql`select count(*)::int as n from silences where ends_at > now()`)[0]?.n,
      1000,
      'no silence and no deploy marker past the limit'
    )
    t.equal(
      (await sql`select count(*)::int as n from deployments`)[0]?.n,
      (await sql`select count(*)::int as n from silences where comment like 'deploy of %'`)[0]?.n
    )

    const theirs = await tokensFor(randomUUID())
    t.equal((await silence(theirs.admin.headers)()).statusCode, 201, "the limit is each organization's own")
    const [one] = await sql`select id from silences where organization_id = ${organization} and ends_at > now() limit 1`
    const expired = await ctx.app.inject({
      method: 'DELETE',
      url: `/v1/silences/${one?.id as string}`,
      headers: ctx.admin.headers
    })
    t.equal(expired.statusCode, 200)
    t.equal((await silence(ctx.admin.headers)()).statusCode, 201, 'an expired silence does not count')
  }
)

const runbook = (name: string) => ({
  name,
  trigger: { anomaly_types: ['latency_spike'] },
  steps: [{ action: 'clear_cache' }]
})

t.test('an organization has at most 200 runbooks in use; new versions and deleted names do not count', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const organization = ctx.admin.organizationId
  await sql`
    insert into runbooks (organization_id, name, version, document)
    select ${organization}, 'seeded-' || n, 1, ${sql.json(runbook('seeded'))}
    from generate_series(1, 195) as n`
  await sql`
    insert into runbooks (organization_id, name, version, enabled, disabled_at, document)
    select ${organization}, 'deleted-' || n, 1, false, now(), ${sql.json(runbook('deleted'))}
    from generate_series(1, 20) as n`
  const create = (headers: Headers, name: string) => async () => await post(ctx, '/v1/runbooks', headers, runbook(name))
  t.same(await race(Array.from({ length: 10 }, (_, n) => create(ctx.admin.headers, `new-${n}`))), { 201: 5, 409: 5 })
  t.match((await create(ctx.admin.headers, 'one-more')()).json(), { status: 409, code: 'RUNBOOK_LIMIT_REACHED' })
  t.equal((await create(ctx.admin.headers, 'seeded-1')()).statusCode, 201, 'a new version of a name in use')
  t.equal(
    (await sql`select count(distinct name)::int as n from runbooks where enabled`)[0]?.n,
    200,
    'no name past the limit'
  )
  const theirs = await tokensFor(randomUUID())
  t.equal((await create(theirs.admin.headers, 'mine')()).statusCode, 201, "the limit is each organization's own")
  const deleted = await ctx.app.inject({ method: 'DELETE', url: '/v1/runbooks/seeded-2', headers: ctx.admin.headers })
  t.equal(deleted.statusCode, 200)
  t.equal((await create(ctx.admin.headers, 'deleted-1')()).statusCode, 201, 'a deleted name frees room')
})

t.test('an organization stores at most 10,000 runbook versions, deleted names included', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  const organization = ctx.admin.organizationId
  await sql`
    insert into runbooks (organization_id, name, version, document)
    select ${organization}, 'edited', n, ${sql.json(runbook('edited'))} from generate_series(1, 9000) as n`
  await sql`
    insert into runbooks (organization_id, name, version, enabled, disabled_at, document)
    select ${organization}, 'deleted', n, false, now(), ${sql.json(runbook('deleted'))}
    from generate_series(1, 995) as n`
  const create = (headers: Headers, name: string) => async () => await post(ctx, '/v1/runbooks', headers, runbook(name))
  t.same(await race(Array.from({ length: 10 }, () => create(ctx.admin.headers, 'edited'))), { 201: 5, 409: 5 })
  t.match((await create(ctx.admin.headers, 'fresh')()).json(), {
    status: 409,
    code: 'RUNBOOK_LIMIT_REACHED',
    detail: /stored 10000 runbook versions/
  })
  t.equal(
    (await sql`select count(*)::int as n from runbooks where organization_id = ${organization}`)[0]?.n,
    10_000,
    'no version past the limit'
  )
  const theirs = await tokensFor(randomUUID())
  t.equal((await create(theirs.admin.headers, 'edited')()).statusCode, 201, "the limit is each organization's own")
})

t.test('an organization has at most 10,000 registered components; replacing a registration does not count', async t => {
  const ctx = await buildTestApp(t)
  const sql = ownerSql(t, ctx.databaseUrl)
  await sql`
    insert into components (organization_id, component_name, component_type)
    select ${ctx.admin.organizationId}, 'seeded-' || n, 'service' from generate_series(1, 9995) as n`
  const register = (headers: Headers, name: string) => async () =>
    await ctx.app.inject({
      method: 'PUT',
      url: `/v1/components/${name}`,
      headers,
      payload: { component_type: 'service' }
    })
  t.same(await race(Array.from({ length: 10 }, (_, n) => register(ctx.admin.headers, `new-${n}`))), { 200: 5, 409: 5 })
  t.match((await register(ctx.admin.headers, 'one-more')()).json(), { status: 409, code: 'COMPONENT_LIMIT_REACHED' })
  t.equal((await register(ctx.admin.headers, 'seeded-1')()).statusCode, 200, 'a registration replaced')
  t.equal((await sql`select count(*)::int as n from components`)[0]?.n, 10_000)
  const theirs = await tokensFor(randomUUID())
  t.equal((await register(theirs.admin.headers, 'mine')()).statusCode, 200, "the limit is each organization's own")
})
