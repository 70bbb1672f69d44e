// /v1/channels and the outbox behind them: secrets write-only and encrypted, each organization
// alone with its channels, test sends, and deliveries that survive 429, 5xx and timeouts, in
// order, against local receivers speaking PagerDuty's, Slack's and Standard Webhooks' protocols.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, testConfig, tokensFor, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { startPagerDuty, startSlack, startWebhookReceiver } from '../../helpers/channel-receivers.js'
import { escalate } from '../../../src/services/healing/escalation.js'
import { buildApp } from '../../../src/app.js'

const ROUTING_KEY = 'R0UT1NGKEY0123456789ABCDEFGHIJ01'

async function channel(ctx: TestApp, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await ctx.app.inject({ method: 'POST', url: '/v1/channels', headers: ctx.admin.headers, payload: body })
  if (res.statusCode !== 201) throw new Error(`channel not created: ${res.body}`)
  return res.json()
}

async function anomaly(ctx: TestApp): Promise<string> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies',
    headers: ctx.service.headers,
    payload: {
      anomaly_type: 'latency_spike',
      severity: 'critical',
      source_type: 'test',
      source_component_name: 'checkout',
      organization_id: ctx.admin.organizationId,
      root_cause_analysis: 'connection pool exhausted'
    }
  })
  return res.json().id as string
}

async function escalateAnomaly(
  ctx: TestApp,
  anomalyId: string,
  organizationId = ctx.admin.organizationId,
  severity: 'low' | 'medium' | 'high' | 'critical' = 'critical'
): Promise<number> {
  const outcome = await escalate(
    ctx.app.db,
    [],
    {
      sourceType: 'anomaly',
      sourceId: anomalyId,
      severity,
      title: 'latency spike on checkout',
      summary: 'p99 at 3.4 s',
      reason: 'no recovery action helped',
      componentName: 'checkout',
      anomalyId,
      organizationId
    },
    ctx.app.log
  )
  return outcome.queued
}

/** Makes every pending delivery due now, as if its backoff had passed. */
async function elapse(sql: ReturnType<typeof ownerSql>): Promise<void> {
  await sql`update notification_outbox set next_attempt_at = now() where status = 'pending'`
}

t.test('secrets are write-only and sealed; another organization neither sees nor changes the channel', async t => {
  const ctx = await buildTestApp(t)
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/v1/channels',
    headers: ctx.admin.headers,
    payload: { name: 'on-call', kind: 'pagerduty', routing_key: ROUTING_KEY, min_severity: 'high' }
  })
  t.equal(created.statusCode, 201)
  t.match(created.json(), {
    name: 'on-call',
    kind: 'pagerduty',
    min_severity: 'high',
    enabled: true,
    organization_id: ctx.admin.organizationId,
    url: null
  })
  t.notMatch(created.body, ROUTING_KEY)
  const id = created.json().id as string
  const sql = ownerSql(t, ctx.databaseUrl)
  const [row] = await sql`select secret_ciphertext from notification_channels`
  t.match(row?.secret_ciphertext, /^v1\./)
  t.notMatch(row?.secret_ciphertext, ROUTING_KEY, 'stored encrypted')
  t.notMatch((await ctx.app.inject({ url: `/v1/channels/${id}`, headers: ctx.admin.headers })).body, ROUTING_KEY)

  const other = await tokensFor(randomUUID())
  t.same((await ctx.app.inject({ url: '/v1/channels', headers: other.admin.headers })).json(), [])
  t.equal((await ctx.app.inject({ url: `/v1/channels/${id}`, headers: other.admin.headers })).statusCode, 404)
  t.equal(
    (
      await ctx.app.inject({
        method: 'PATCH',
        url: `/v1/channels/${id}`,
        headers: other.admin.headers,
        payload: { enabled: false }
      })
    ).statusCode,
    404
  )
  t.equal(
    (await ctx.app.inject({ method: 'DELETE', url: `/v1/channels/${id}`, headers: other.admin.headers })).statusCode,
    404
  )
  t.equal(
    (await ctx.app.inject({ url: '/v1/channels', headers: ctx.user.headers })).statusCode,
    403,
    'users do not manage channels'
  )

  const changed = await ctx.app.inject({
    method: 'PATCH',
    url: `/v1/channels/${id}`,
    headers: ctx.admin.headers,
    payload: { min_severity: 'critical', routing_key: 'NEWKEY0123456789ABCDEFGHIJKLMNOP' }
  })
  t.equal(changed.statusCode, 200)
  t.equal(changed.json().min_severity, 'critical')
  t.equal(
    (await ctx.app.inject({ method: 'DELETE', url: `/v1/channels/${id}`, headers: ctx.admin.headers })).statusCode,
    204
  )
  t.same((await ctx.app.inject({ url: '/v1/channels', headers: ctx.admin.headers })).json(), [])
})

t.test('a PATCH changes only the fields it gives; an empty one is refused', async t => {
  const ctx = await buildTestApp(t)
  const created = await channel(ctx, {
    name: 'quiet hook',
    kind: 'webhook',
    url: 'https://hooks.example.com/core314',
    min_severity: 'critical',
    enabled: false
  })
  const patch = async (payload: Record<string, unknown>) =>
    await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/channels/${created.id as string}`,
      headers: ctx.admin.headers,
      payload
    })

  const renamed = await patch({ name: 'renamed hook' })
  t.equal(renamed.statusCode, 200)
  t.match(renamed.json(), { name: 'renamed hook', min_severity: 'critical', enabled: false })
  const empty = await patch({})
  t.equal(empty.statusCode, 400)
  t.match(empty.json(), { code: 'INVALID_FIELDS', errors: [{ path: '/body' }] })
  const stored = await ctx.app.inject({ url: `/v1/channels/${created.id as string}`, headers: ctx.admin.headers })
  t.match(stored.json(), { name: 'renamed hook', min_severity: 'critical', enabled: false })
})

t.test('each kind is told which fields it needs, naming them', async t => {
  const ctx = await buildTestApp(t)
  const post = async (payload: Record<string, unknown>) =>
    await ctx.app.inject({ method: 'POST', url: '/v1/channels', headers: ctx.admin.headers, payload })
  t.match((await post({ name: 'a', kind: 'slack' })).json().errors, [
    { path: '/body/webhook_url', message: /required for slack/ }
  ])
  t.match((await post({ name: 'a', kind: 'pagerduty' })).json().errors, [{ path: '/body/routing_key' }])
  t.match((await post({ name: 'a', kind: 'webhook' })).json().errors, [{ path: '/body/url' }])
  t.match(
    (
      await post({ name: 'a', kind: 'slack', webhook_url: 'https://hooks.slack.com/x', routing_key: ROUTING_KEY })
    ).json().errors,
    [{ path: '/body/routing_key', message: /pagerduty/ }]
  )
  t.match((await post({ name: 'a', kind: 'webhook', url: 'ftp://x.example/' })).json().errors, [{ path: '/body/url' }])
  t.match((await post({ name: 'a', kind: 'webhook', url: 'https://user:pw@x.example/' })).json().errors, [
    { path: '/body/url', message: /credentials/ }
  ])
  t.match((await post({ name: 'a', kind: 'teams', url: 'https://x.example/' })).json().errors, [{ path: '/body/kind' }])
  await post({ name: 'dup', kind: 'pagerduty', routing_key: ROUTING_KEY })
  t.equal(
    (await post({ name: 'dup', kind: 'pagerduty', routing_key: ROUTING_KEY })).statusCode,
    409,
    'names are unique per organization'
  )
  const sql = ownerSql(t, ctx.databaseUrl)
  t.equal((await sql`select count(*)::int as n from notification_channels`)[0]?.n, 1)

  await t.rejects(
    buildTestApp(t, { secretsKey: undefined }),
    /secretsKey/,
    'without SECRETS_KEY the service does not start, so no secret is ever stored in the clear'
  )
})

t.test('an organization has at most 100 channels, even when created all at once; another is not held back', async t => {
  const ctx = await buildTestApp(t)
  const post = async (headers: Record<string, string>, name: string) =>
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/channels',
      headers,
      payload: { name, kind: 'pagerduty', routing_key: ROUTING_KEY, enabled: false }
    })
  const answers = await Promise.all(Array.from({ length: 110 }, async (_, n) => await post(ctx.admin.headers, `c${n}`)))
  t.equal(answers.filter(res => res.statusCode === 201).length, 100)
  const refused = answers.filter(res => res.statusCode !== 201)
  t.equal(refused.length, 10)
  t.match(refused[0]?.json(), { status: 409, code: 'CHANNEL_LIMIT_REACHED' })
  const sql = ownerSql(t, ctx.databaseUrl)
  t.equal((await sql`select count(*)::int as n from notification_channels`)[0]?.n, 100)

  const theirs = await tokensFor(randomUUID())
  t.equal((await post(theirs.admin.headers, 'c0')).statusCode, 201, "the limit is each organization's own")
  const first = (answers.find(res => res.statusCode === 201)?.json() as { id: string }).id
  t.equal(
    (await ctx.app.inject({ method: 'DELETE', url: `/v1/channels/${first}`, headers: ctx.admin.headers })).statusCode,
    204
  )
  t.equal((await post(ctx.admin.headers, 'after-delete')).statusCode, 201, 'a deleted channel frees its place')
})

t.test('a channel may point no further than a control target may', async t => {
  // HEAL_ALLOWED_TARGETS empty: only public addresses, as in production by default.
  const ctx = await buildTestApp(t, { healing: { ...testConfig().healing, allowedTargets: [] } })
  const post = async (payload: Record<string, unknown>) =>
    await ctx.app.inject({ method: 'POST', url: '/v1/channels', headers: ctx.admin.headers, payload })
  const refused = async (payload: Record<string, unknown>, path: string, range: RegExp) => {
    const res = await post(payload)
    t.equal(res.statusCode, 400, `${path} ${String(payload.url ?? payload.webhook_url)}`)
    t.match(res.headers['content-type'], /application\/problem\+json/)
    t.match(res.json().errors, [{ path, message: range }])
  }
  await refused({ name: 'a', kind: 'webhook', url: 'http://169.254.169.254/latest/meta-data' }, '/body/url', /link/i)
  await refused(
    { name: 'a', kind: 'slack', webhook_url: 'https://10.1.2.3/services/T/B/X' },
    '/body/webhook_url',
    /private/
  )
  await refused(
    { name: 'a', kind: 'pagerduty', routing_key: ROUTING_KEY, url: 'http://[::1]:9/v2/enqueue' },
    '/body/url',
    /loopback/
  )
  const sql = ownerSql(t, ctx.databaseUrl)
  t.equal((await sql`select count(*)::int as n from notification_channels`)[0]?.n, 0, 'nothing stored')

  // A name is judged where it resolves, as the channel is contacted: localhost is not on the list.
  const receiver = await startWebhookReceiver(t, () => '')
  const named = await channel(ctx, {
    name: 'named',
    kind: 'webhook',
    url: receiver.url.replace('127.0.0.1', 'localhost')
  })
  const test = await ctx.app.inject({
    method: 'POST',
    url: `/v1/channels/${named.id as string}/test`,
    headers: ctx.admin.headers
  })
  t.match(test.json(), { ok: false, status: null, error: /not contacted: .*loopback/ })
  t.equal(receiver.received.length, 0, 'the receiver was never contacted')

  const change = await ctx.app.inject({
    method: 'PATCH',
    url: `/v1/channels/${named.id as string}`,
    headers: ctx.admin.headers,
    payload: { url: 'http://0x7f.1:8080/hook' }
  })
  t.equal(change.statusCode, 400)
  t.match(change.json().errors, [{ path: '/body/url', message: /loopback/ }])
  t.match(
    await sql`select url from notification_channels`,
    [{ url: receiver.url.replace('127.0.0.1', 'localhost') }],
    'the refused change left the channel as it was'
  )
})

t.test('an IPv4-compatible address is refused for every channel URL, written and when contacted', async t => {
  const ctx = await buildTestApp(t, { healing: { ...testConfig().healing, allowedTargets: [] } })
  const receiver = await startWebhookReceiver(t, () => '')
  const port = new URL(receiver.url).port
  for (const host of ['[::127.0.0.1]', '[::7f00:1]', '[::169.254.169.254]']) {
    const url = `http://${host}:${port}/hook`
    for (const [payload, path] of [
      [{ name: 'a', kind: 'webhook', url }, '/body/url'],
      [{ name: 'a', kind: 'slack', webhook_url: url }, '/body/webhook_url'],
      [{ name: 'a', kind: 'pagerduty', routing_key: ROUTING_KEY, url }, '/body/url']
    ] as const) {
      const res = await ctx.app.inject({ method: 'POST', url: '/v1/channels', headers: ctx.admin.headers, payload })
      t.equal(res.statusCode, 400, `${payload.kind} ${url}`)
      t.match(res.json().errors, [{ path, message: /ipv4Compatible address/ }], `${payload.kind} ${url}`)
    }
  }

  // A channel stored before the rule is refused as it is contacted, before any connection.
  const named = await channel(ctx, { name: 'named', kind: 'webhook', url: 'https://hooks.example.com/core314' })
  const sql = ownerSql(t, ctx.databaseUrl)
  await sql`update notification_channels set url = ${`http://[::127.0.0.1]:${port}/hook`}`
  const test = await ctx.app.inject({
    method: 'POST',
    url: `/v1/channels/${named.id as string}/test`,
    headers: ctx.admin.headers
  })
  t.match(test.json(), { ok: false, status: null, error: /not contacted: .*ipv4Compatible/ })
  t.equal(receiver.received.length, 0)
})

t.test('test sends reach each kind of channel and report its answer', async t => {
  const ctx = await buildTestApp(t)
  const pagerDuty = await startPagerDuty(t, ROUTING_KEY)
  const slack = await startSlack(t)
  let secret = ''
  const receiver = await startWebhookReceiver(t, () => secret)
  const pd = await channel(ctx, { name: 'pd', kind: 'pagerduty', routing_key: ROUTING_KEY, url: pagerDuty.url })
  const sl = await channel(ctx, { name: 'slack', kind: 'slack', webhook_url: slack.url })
  const hook = await channel(ctx, { name: 'hook', kind: 'webhook', url: receiver.url })
  secret = hook.secret as string
  t.match(secret, /^whsec_/, 'a generated secret is shown once')
  t.notOk(
    'secret' in (await ctx.app.inject({ url: `/v1/channels/${hook.id as string}`, headers: ctx.admin.headers })).json()
  )

  const test = async (id: unknown) =>
    (
      await ctx.app.inject({ method: 'POST', url: `/v1/channels/${id as string}/test`, headers: ctx.admin.headers })
    ).json()
  t.same(await test(pd.id), { ok: true, status: 202, error: null })
  t.same(
    pagerDuty.received.map(r => r.body.event_action),
    ['trigger', 'resolve'],
    'a PagerDuty test resolves its own alert'
  )
  t.same([...pagerDuty.alerts.values()], ['resolved'])
  t.same(await test(sl.id), { ok: true, status: 200, error: null })
  t.match(slack.received[0]?.body, { text: /Core314 test notification/ })
  t.same(await test(hook.id), { ok: true, status: 204, error: null })
  t.match(
    receiver.verified,
    [{ type: 'escalation.trigger', data: { title: 'Core314 test notification' } }],
    'the signature verifies with the Standard Webhooks library'
  )

  slack.fail({ status: 500, body: 'internal_error' })
  t.match(await test(sl.id), { ok: false, status: 500, error: /HTTP 500/ })
})

t.test(
  'an escalation reaches PagerDuty through 429, 500 and a timeout, then acknowledge and resolve follow the signal',
  async t => {
    const ctx = await buildTestApp(t, { integrations: { ...testConfig().integrations, channelTimeoutMs: 500 } })
    const pagerDuty = await startPagerDuty(t, ROUTING_KEY)
    await channel(ctx, { name: 'pd', kind: 'pagerduty', routing_key: ROUTING_KEY, url: pagerDuty.url })
    const anomalyId = await anomaly(ctx)
    t.equal(await escalateAnomaly(ctx, anomalyId), 1)
    t.equal(await escalateAnomaly(ctx, anomalyId), 0, 'a repeated escalation of the signal queues nothing more')

    const sql = ownerSql(t, ctx.databaseUrl)
    pagerDuty.fail({ status: 429, headers: { 'retry-after': '30' } }, { status: 500 }, 'hang')
    t.match(await ctx.app.channels.dispatch(), { retried: 1, sent: 0 })
    const [afterThrottle] =
      await sql`select attempts, last_status, extract(epoch from next_attempt_at - now())::float8 as wait from notification_outbox where channel_id is not null`
    t.match(afterThrottle, { attempts: 1, last_status: 429 })
    t.ok((afterThrottle?.wait as number) > 20, 'Retry-After is honoured')
    t.match(await ctx.app.channels.dispatch(), { sent: 0, retried: 0 }, 'nothing is due before then')
    await elapse(sql)
    t.match(await ctx.app.channels.dispatch(), { retried: 1 })
    t.equal((await sql`select last_status from notification_outbox where channel_id is not null`)[0]?.last_status, 500)
    await elapse(sql)
    t.match(await ctx.app.channels.dispatch(), { retried: 1 })
    t.match(
      (await sql`select last_error from notification_outbox where channel_id is not null`)[0]?.last_error,
      /time limit/
    )
    await elapse(sql)
    t.match(await ctx.app.channels.dispatch(), { sent: 1 })
    t.equal(pagerDuty.alerts.get(anomalyId), 'triggered')
    const trigger = pagerDuty.received.at(-1)?.body
    t.match(trigger, {
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: anomalyId,
      payload: {
        summary: 'latency spike on checkout: p99 at 3.4 s',
        severity: 'critical',
        source: 'checkout',
        component: 'checkout',
        custom_details: { root_cause: 'connection pool exhausted', actions_taken: [], anomaly_id: anomalyId }
      }
    })
    t.same(
      pagerDuty.received.map(r => r.body.dedup_key),
      [anomalyId, anomalyId, anomalyId, anomalyId],
      'every attempt carries the same dedup_key'
    )

    t.equal(
      (
        await ctx.app.inject({
          method: 'PATCH',
          url: `/v1/anomalies/${anomalyId}`,
          headers: ctx.admin.headers,
          payload: { status: 'acknowledged' }
        })
      ).statusCode,
      200
    )
    t.match(await ctx.app.channels.dispatch(), { fanned_out: 1, sent: 1 })
    t.equal(pagerDuty.alerts.get(anomalyId), 'acknowledged')
    t.equal(
      (
        await ctx.app.inject({
          method: 'PATCH',
          url: `/v1/anomalies/${anomalyId}`,
          headers: ctx.admin.headers,
          payload: { status: 'resolved' }
        })
      ).statusCode,
      200
    )
    await ctx.app.channels.dispatch()
    t.equal(pagerDuty.alerts.get(anomalyId), 'resolved')
    t.same(
      pagerDuty.received.slice(-2).map(r => r.body.event_action),
      ['acknowledge', 'resolve']
    )

    const channelId = (await sql`select id from notification_channels`)[0]?.id as string
    const deliveries = await ctx.app.inject({ url: `/v1/channels/${channelId}/deliveries`, headers: ctx.admin.headers })
    t.match(deliveries.json(), [
      { event: 'resolve', status: 'sent' },
      { event: 'acknowledge', status: 'sent' },
      { event: 'trigger', status: 'sent', attempts: 4, last_status: 202 }
    ])
  }
)

t.test(
  'a resolve waits for its trigger; a channel that refuses for good keeps the failure; severity routes',
  async t => {
    const ctx = await buildTestApp(t)
    const pagerDuty = await startPagerDuty(t, ROUTING_KEY)
    const otherPagerDuty = await startPagerDuty(t, ROUTING_KEY)
    const slack = await startSlack(t)
    await channel(ctx, { name: 'pd', kind: 'pagerduty', routing_key: ROUTING_KEY, url: pagerDuty.url })
    await channel(ctx, {
      name: 'wrong key',
      kind: 'pagerduty',
      routing_key: 'WRONGKEY0123456789ABCDEFGHIJKLMN',
      url: otherPagerDuty.url
    })
    await channel(ctx, { name: 'slack critical only', kind: 'slack', webhook_url: slack.url, min_severity: 'critical' })
    const anomalyId = await anomaly(ctx)
    t.equal(
      await escalateAnomaly(ctx, anomalyId, ctx.admin.organizationId, 'high'),
      2,
      'the critical-only channel is not sent a high escalation'
    )
    t.equal(
      await escalateAnomaly(ctx, randomUUID(), randomUUID()),
      0,
      "another organization's escalation never reaches these channels"
    )

    const sql = ownerSql(t, ctx.databaseUrl)
    pagerDuty.fail({ status: 503 })
    await ctx.app.channels.dispatch()
    await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/anomalies/${anomalyId}`,
      headers: ctx.admin.headers,
      payload: { status: 'resolved' }
    })
    await ctx.app.channels.dispatch()
    const rows =
      await sql`select c.name, o.event, o.status, o.last_status from notification_outbox o join notification_channels c on c.id = o.channel_id order by o.id`
    t.match(
      rows,
      [
        { name: 'pd', event: 'trigger', status: 'pending', last_status: 503 },
        { name: 'wrong key', event: 'trigger', status: 'failed', last_status: 400 },
        { name: 'pd', event: 'resolve', status: 'pending' }
      ],
      'the resolve is queued behind its trigger; the 400 is not retried'
    )
    t.notOk(
      pagerDuty.received.some(r => r.body.event_action === 'resolve'),
      'no resolve went out before the trigger'
    )
    t.equal(rows.length, 3, 'the failed channel gets no resolve: it was never told')
    await elapse(sql)
    await ctx.app.channels.dispatch()
    t.same(
      pagerDuty.received.filter(r => r.status === 202).map(r => r.body.event_action),
      ['trigger', 'resolve']
    )
    t.equal(pagerDuty.alerts.get(anomalyId), 'resolved')
    t.equal(slack.received.length, 0)
    t.same(
      otherPagerDuty.received.map(r => r.status),
      [400],
      'the refused trigger was tried once'
    )
  }
)

t.test('a delivery is given up after CHANNEL_MAX_ATTEMPTS and kept with its error', async t => {
  const ctx = await buildTestApp(t, { integrations: { ...testConfig().integrations, channelMaxAttempts: 2 } })
  const slack = await startSlack(t)
  await channel(ctx, { name: 's', kind: 'slack', webhook_url: slack.url })
  await escalateAnomaly(ctx, await anomaly(ctx))
  const sql = ownerSql(t, ctx.databaseUrl)
  slack.fail({ status: 500 }, { status: 502 })
  await ctx.app.channels.dispatch()
  await elapse(sql)
  t.match(await ctx.app.channels.dispatch(), { failed: 1 })
  t.match(
    await sql`select status, attempts, last_status, last_error from notification_outbox where channel_id is not null`,
    [{ status: 'failed', attempts: 2, last_status: 502, last_error: /HTTP 502/ }]
  )
})

t.test('a shutdown waits for the batch in flight only; what is not claimed yet stays due', async t => {
  const ctx = await buildTestApp(t)
  const slack = await startSlack(t)
  await channel(ctx, { name: 's', kind: 'slack', webhook_url: slack.url })
  // One more than a batch (50), each its own signal, so one claim cannot take them all.
  for (let i = 0; i < 51; i++) await escalateAnomaly(ctx, await anomaly(ctx))
  slack.fail(...Array.from({ length: 51 }, () => 'hang' as const))
  const integrations = { ...testConfig().integrations, channelTimeoutMs: 3000, channelDispatchIntervalMs: 10 }
  const dispatching = await buildApp(testConfig({ databaseUrl: ctx.databaseUrl, jobsEnabled: true, integrations }), {
    logger: false,
    jobs: []
  })
  while (slack.received.length === 0) await new Promise(resolve => setTimeout(resolve, 10))
  await dispatching.close()
  const sql = ownerSql(t, ctx.databaseUrl)
  t.same(
    await sql`select attempts, status, count(*)::int as deliveries from notification_outbox
      where channel_id is not null group by attempts, status order by attempts`,
    [
      { attempts: 0, status: 'pending', deliveries: 1 },
      { attempts: 1, status: 'pending', deliveries: 50 }
    ],
    'the batch in flight was tried and kept for a retry; the next was not claimed'
  )
})
