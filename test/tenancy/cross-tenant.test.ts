// Two organizations that both run `orchestrate-flow`, registered the same way (each with its own
// local control endpoint and its own Redis key prefix) and hit by the same incident, driven
// through the API, the heal job's tick, the self-test run and a local OpenAI-protocol server.
// Nothing of one may reach the other on any path: detection, the prompt and the analysis cache,
// the healing target, the guards' counters, verification's metrics, escalations, breakers,
// self-tests, and every list and report route.
import { randomBytes, randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { buildTestApp, testConfig, tokensFor, type TestApp } from '../helpers/app.js'
import { startControlEndpoint, type ControlEndpoint } from '../helpers/control-endpoint.js'
import type { Sql } from '../../src/db/client.js'
import { ownerSql } from '../helpers/database.js'
import { analysisContent, startFakeOpenAI } from '../helpers/fake-openai.js'
import { engineFor, fastHealing } from '../services/healing/helpers.js'
import { historyThen, insertSeries, MINUTE } from '../services/detection/series.js'
import { ingestSeries, wholeMinuteNow, wobble } from '../services/prediction/leak.js'
import { runPrediction } from '../../src/services/prediction/run.js'

// Database 5, like the executor tests: the keys carry a per-run tag, so runs never meet.
const REDIS_URL = 'redis://127.0.0.1:6379/5'
const SECRET = `whsec_${Buffer.from('tenancy-control-secret-0123456789').toString('base64')}`
const COMPONENT = 'orchestrate-flow'
const RUNBOOK = 'orchestrate-flow-exhausted'

type Tokens = Awaited<ReturnType<typeof tokensFor>>

interface Tenant {
  name: 'one' | 'two'
  organizationId: string
  tokens: Tokens
  endpoint: ControlEndpoint
  keyPrefix: string
  /** Error text only this organization's events hold. */
  marker: string
}

const redis = new Redis(REDIS_URL)
t.teardown(async () => {
  await redis.quit()
})

async function tenant(t: Test, ctx: TestApp, name: Tenant['name'], tag: string): Promise<Tenant> {
  const organizationId = randomUUID()
  const self: Tenant = {
    name,
    organizationId,
    tokens: await tokensFor(organizationId),
    endpoint: await startControlEndpoint(t, { secret: SECRET }),
    keyPrefix: `tenancy:${tag}:${name}:`,
    marker: `${name}-${tag}-pool exhausted in ${name}'s checkout`
  }
  const res = await ctx.app.inject({
    method: 'PUT',
    url: `/v1/components/${COMPONENT}`,
    headers: ctx.service.headers,
    payload: {
      component_type: 'edge_function',
      organization_id: organizationId,
      webhook_url: self.endpoint.url,
      webhook_secret: SECRET,
      redis_url: REDIS_URL,
      key_prefix: self.keyPrefix
    }
  })
  t.equal(res.statusCode, 200, res.body)
  // A runbook of the same name in each organization, carrying the organization's text; its
  // trigger leaves the shared incident to the mapping the rest of this test follows.
  const runbook = await ctx.app.inject({
    method: 'POST',
    url: `/v1/runbooks?organization_id=${organizationId}`,
    headers: ctx.service.headers,
    payload: {
      name: RUNBOOK,
      description: self.marker,
      trigger: { anomaly_types: ['resource_exhaustion'], components: [{ name: 'component_name', value: COMPONENT }] },
      steps: [{ action: 'clear_cache' }]
    }
  })
  t.equal(runbook.statusCode, 201, runbook.body)
  await redis.mset(`${self.keyPrefix}session`, name, `${self.keyPrefix}cart`, name)
  t.teardown(async () => {
    await redis.del(`${self.keyPrefix}session`, `${self.keyPrefix}cart`)
  })
  return self
}

/** The incident: a steady day then two slow events, the slow ones pushed through the API with the organization's error text. */
async function incident(t: Test, ctx: TestApp, sql: Sql, who: Tenant): Promise<void> {
  await insertSeries(
    sql,
    COMPONENT,
    historyThen(new Date(Date.now() - 3 * MINUTE), 120, 800, 20, []),
    who.organizationId
  )
  // The steady day is a member's, like the events the API stores for them.
  await sql`update system_health_events set user_id = ${who.tokens.user.id} where organization_id = ${who.organizationId}`
  const spike = (latency: number) => ({
    user_id: who.tokens.user.id,
    organization_id: who.organizationId,
    component_type: 'edge_function',
    component_name: COMPONENT,
    status: 'critical',
    latency_ms: latency,
    last_error_message: who.marker
  })
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: { events: [spike(2450), spike(2600)] }
  })
  t.equal(res.statusCode, 201, res.body)
}

async function detect(t: Test, ctx: TestApp): Promise<void> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies/detect',
    headers: ctx.service.headers,
    payload: {}
  })
  t.equal(res.statusCode, 200, res.body)
}

/** Every list and report a member of an organization can call. */
const MEMBER_ROUTES = [
  '/v1/health-events',
  '/v1/health/summary',
  '/v1/health/unhealthy',
  `/v1/health/trends?component_name=${COMPONENT}`,
  '/v1/health/availability',
  '/v1/anomalies',
  '/v1/anomalies/active',
  '/v1/anomalies/statistics',
  '/v1/recovery-actions',
  '/v1/recovery-actions/pending',
  '/v1/recovery-actions/statistics',
  '/v1/components',
  `/v1/components/${COMPONENT}`,
  '/v1/circuit-breakers',
  `/v1/circuit-breakers/${COMPONENT}`,
  '/v1/selftests',
  '/v1/selftests/latest',
  '/v1/predictive-alerts',
  '/v1/silences',
  '/v1/deployments',
  '/v1/runbooks',
  `/v1/runbooks/${RUNBOOK}`,
  '/v1/runbook-runs'
]

/** The report routes the service role scopes with ?organization_id=. */
const SERVICE_REPORTS = [
  '/v1/health/summary',
  '/v1/health/unhealthy',
  `/v1/health/trends?component_name=${COMPONENT}`,
  '/v1/health/availability',
  '/v1/anomalies/active',
  '/v1/anomalies/statistics',
  '/v1/recovery-actions/pending',
  '/v1/recovery-actions/statistics',
  '/v1/components',
  `/v1/components/${COMPONENT}`,
  '/v1/circuit-breakers',
  `/v1/circuit-breakers/${COMPONENT}`,
  '/v1/predictive-alerts',
  '/v1/silences',
  '/v1/deployments',
  '/v1/runbooks',
  `/v1/runbooks/${RUNBOOK}`,
  '/v1/runbook-runs'
]

t.test('two organizations with the same component and the same incident never touch each other', async t => {
  const fake = await startFakeOpenAI(t, { defaultReply: { kind: 'completion', content: analysisContent() } })
  const config = testConfig()
  const healing = fastHealing({
    approvalTypes: [],
    actionMap: {
      'latency_spike:low': 'restart_function',
      'latency_spike:medium': 'restart_function',
      'latency_spike:high': 'restart_function',
      'latency_spike:critical': 'restart_function'
    }
  })
  const ctx = await buildTestApp(t, {
    openaiApiKey: 'sk-test-key-for-the-fake-server',
    openaiBaseUrl: fake.baseUrl,
    healing,
    detection: { ...config.detection, runBudgetMs: 60_000 }
  })
  const sql = ownerSql(t, ctx.databaseUrl)
  const tag = randomBytes(4).toString('hex')
  const one = await tenant(t, ctx, 'one', tag)
  const two = await tenant(t, ctx, 'two', tag)
  const tenants = [one, two]
  const other = (who: Tenant): Tenant => (who === one ? two : one)

  await t.test(
    'detection: one signal per organization, each from its own events, each analysed with its own text',
    async t => {
      await incident(t, ctx, sql, one)
      await detect(t, ctx)
      // The second organization's identical incident arrives after the first was analysed: a cache
      // keyed by the anomaly alone would hand it the first organization's analysis and prompt.
      await incident(t, ctx, sql, two)
      await detect(t, ctx)

      t.equal(fake.requests.length, 2, "each organization's anomaly was sent to the model: no cached answer crossed")
      const [first, second] = fake.requests.map(request => request.raw)
      t.ok(
        first?.includes(one.marker) && !first.includes(two.marker),
        "the first prompt holds only the first organization's error text"
      )
      t.ok(
        second?.includes(two.marker) && !second.includes(one.marker),
        "the second prompt holds only the second organization's error text"
      )
      for (const request of fake.requests)
        t.notOk(
          request.raw.includes(one.organizationId) || request.raw.includes(two.organizationId),
          'no organization id is sent to the model'
        )

      const signals = await sql<
        Array<{
          organization_id: string
          user_id: string | null
          gpt4o_prompt: string
          metadata: { analysis: { cached: boolean } }
        }>
      >`
      select organization_id, user_id, gpt4o_prompt, metadata from anomaly_signals where source_component_name = ${COMPONENT}`
      t.equal(signals.length, 2, 'two signals, not one shared')
      for (const who of tenants) {
        const signal = signals.find(row => row.organization_id === who.organizationId)
        t.ok(signal?.gpt4o_prompt.includes(who.marker), `${who.name}'s signal keeps its own prompt`)
        t.notOk(signal?.gpt4o_prompt.includes(other(who).marker), `${who.name}'s signal holds none of the other's text`)
        t.equal(signal?.metadata.analysis.cached, false)
        t.equal(signal?.user_id, null, 'organization-wide: owned by no single member')
      }
    }
  )

  const signalOf = async (who: Tenant): Promise<string> =>
    (
      await sql<
        Array<{ id: string }>
      >`select id from anomaly_signals where organization_id = ${who.organizationId} and source_component_name = ${COMPONENT}`
    )[0]?.id ?? ''

  await t.test(
    'the evidence rule: members neither read nor resolve the organization-wide signals; admins do',
    async t => {
      for (const who of tenants) {
        const id = await signalOf(who)
        t.equal(
          (await ctx.app.inject({ url: `/v1/anomalies/${id}`, headers: who.tokens.user.headers })).statusCode,
          404,
          `${who.name}'s member cannot read it`
        )
        const patch = await ctx.app.inject({
          method: 'PATCH',
          url: `/v1/anomalies/${id}`,
          headers: who.tokens.user.headers,
          payload: { status: 'resolved' }
        })
        t.equal(patch.statusCode, 404, `${who.name}'s member cannot resolve it and stop its healing`)
        t.equal(
          (await ctx.app.inject({ url: `/v1/anomalies/${id}`, headers: other(who).tokens.user.headers })).statusCode,
          404
        )
        t.equal(
          (await ctx.app.inject({ url: `/v1/anomalies/${id}`, headers: who.tokens.admin.headers })).statusCode,
          200
        )
      }
    }
  )

  const engine = engineFor(ctx.app.db, healing)
  // The first organization's control endpoint refuses (a 400 is not retried): its action fails and escalates.
  one.endpoint.script({ status: 400, body: 'bad request' })

  await t.test(
    "healing: each anomaly reaches its own organization's endpoint, neither held by the other's cooldown",
    async t => {
      const report = await engine.runDue()
      t.equal(report.decisions.length, 2)
      t.same(
        report.decisions.map(decision => decision.held_by),
        [null, null],
        "the other organization's action on the same name counts against neither cooldown nor cap"
      )
      for (const who of tenants) {
        t.equal(who.endpoint.requests.length, 1, `${who.name}'s endpoint received exactly its own action`)
        t.match(who.endpoint.requests[0]?.body, {
          action_type: 'restart_function',
          organization_id: who.organizationId,
          component_name: COMPONENT
        })
      }
      const actions = await sql<
        Array<{ organization_id: string; execution_status: string; pre_action_metrics: { id: string } }>
      >`
      select organization_id, execution_status, pre_action_metrics from recovery_actions where trigger_type = 'automatic'`
      for (const who of tenants) {
        const action = actions.find(row => row.organization_id === who.organizationId)
        const [source] =
          await sql`select organization_id from system_health_events where id = ${action?.pre_action_metrics.id ?? randomUUID()}`
        t.equal(source?.organization_id, who.organizationId, `${who.name}'s before-metrics come from its own events`)
      }
      t.same(
        actions.map(row => [row.organization_id, row.execution_status]).sort(),
        [
          [one.organizationId, 'failed'],
          [two.organizationId, 'succeeded']
        ].sort()
      )
    }
  )

  await t.test('escalation: the failed action escalates within its organization only', async t => {
    const escalations = await sql<
      Array<{ organization_id: string | null }>
    >`select organization_id from escalation_events`
    t.ok(escalations.length > 0, 'the failure was escalated')
    t.same([...new Set(escalations.map(row => row.organization_id))], [one.organizationId])
  })

  await t.test("verification: one organization's recovery is not another's", async t => {
    // The first organization recovers on its own; the second reports nothing after its action.
    const healthy = await ctx.app.inject({
      method: 'POST',
      url: '/v1/health-events',
      headers: ctx.service.headers,
      payload: {
        user_id: one.tokens.user.id,
        organization_id: one.organizationId,
        component_type: 'edge_function',
        component_name: COMPONENT,
        status: 'healthy',
        latency_ms: 300
      }
    })
    t.equal(healthy.statusCode, 201)
    const report = await engine.runDue()
    t.match(
      report.verifications,
      [{ status: 'inconclusive', improvement: null }],
      "the second organization's action finds no health of its own since"
    )
    const [verified] =
      await sql`select verification_status, post_action_metrics from recovery_actions where organization_id = ${two.organizationId} and trigger_type = 'automatic'`
    t.same(verified, { verification_status: 'inconclusive', post_action_metrics: null })
    const [anomaly] = await sql`select status from anomaly_signals where id = ${await signalOf(two)}`
    t.equal(anomaly?.status, 'open', "not resolved by the other organization's recovery")
  })

  await t.test('breakers and caches: an action for one organization touches its own only', async t => {
    const act = async (actionType: string): Promise<void> => {
      const created = await ctx.app.inject({
        method: 'POST',
        url: '/v1/recovery-actions',
        headers: ctx.service.headers,
        payload: {
          user_id: two.tokens.user.id,
          organization_id: two.organizationId,
          action_type: actionType,
          target_component_name: COMPONENT,
          trigger_reason: 'tenancy suite'
        }
      })
      t.equal(created.statusCode, 201, created.body)
      const executed = await ctx.app.inject({
        method: 'POST',
        url: `/v1/recovery-actions/${created.json().id as string}/execute`,
        headers: ctx.service.headers,
        payload: {}
      })
      t.equal(executed.statusCode, 200, executed.body)
    }
    await act('circuit_breaker')
    const breaker = await ctx.app.inject({ url: `/v1/circuit-breakers/${COMPONENT}`, headers: two.tokens.user.headers })
    t.match(breaker.json(), { organization_id: two.organizationId, state: 'open' })
    t.equal(
      (await ctx.app.inject({ url: `/v1/circuit-breakers/${COMPONENT}`, headers: one.tokens.user.headers })).statusCode,
      404,
      'the first organization has no breaker of that name'
    )
    t.same((await ctx.app.inject({ url: '/v1/circuit-breakers', headers: one.tokens.user.headers })).json(), [])

    await act('clear_cache')
    t.same(await redis.keys(`${two.keyPrefix}*`), [], "the second organization's keys were cleared")
    t.same(
      (await redis.keys(`${one.keyPrefix}*`)).sort(),
      [`${one.keyPrefix}cart`, `${one.keyPrefix}session`],
      "the first organization's keys are untouched"
    )
  })

  await t.test("self-tests: each organization's targets are probed as its own", async t => {
    const run = await ctx.app.inject({
      method: 'POST',
      url: '/v1/selftests/run',
      headers: ctx.service.headers,
      payload: { test_names: ['control_targets'] }
    })
    t.equal(run.statusCode, 200, run.body)
    const passed: string[] = run
      .json()
      .results[0].assertions_passed.map((assertion: { name: string }) => assertion.name)
    for (const who of tenants) {
      t.ok(
        passed.includes(`${who.organizationId}/${COMPONENT}_webhook_reachable`),
        `${who.name}'s webhook checked under its organization`
      )
      t.ok(
        passed.includes(`${who.organizationId}/${COMPONENT}_redis_reachable`),
        `${who.name}'s Redis checked under its organization`
      )
      t.equal(
        who.endpoint.requests.filter(request => request.method === 'HEAD').length,
        1,
        `${who.name}'s endpoint was probed once`
      )
    }
  })

  await t.test(
    "the same component's leak in both: each organization's forecast, alert and signal are its own",
    async t => {
      const now = wholeMinuteNow()
      for (const who of tenants) {
        await ingestSeries(ctx, who.organizationId, COMPONENT, now, (hours, i) => ({
          memory_usage_percent: (who.name === 'one' ? 85 : 80) + 10 * hours + 0.5 * wobble(i)
        }))
      }
      const run = await runPrediction({ db: ctx.app.jobDb, settings: ctx.config.prediction }, { at: new Date(now) })
      t.equal(run.opened, 2, 'one alert per organization, though the name is the same')
      t.equal(run.signals_opened, 2, 'and one signal each')
      for (const who of tenants) {
        const res = await ctx.app.inject({ url: '/v1/predictive-alerts', headers: who.tokens.user.headers })
        const [alert, ...rest] = res.json().items as Array<Record<string, unknown>>
        t.same(rest, [], `${who.name}'s member sees one alert`)
        t.match(alert, { organization_id: who.organizationId, component_name: COMPONENT })
        t.ok(
          Math.abs(Number(alert?.actual_value) - (who.name === 'one' ? 85 : 80)) < 1,
          `${who.name}'s forecast is from ${who.name}'s events only`
        )
        const [signal] = await sql<Array<{ organization_id: string }>>`
        select organization_id from anomaly_signals where id = ${alert?.anomaly_signal_id as string}`
        t.equal(signal?.organization_id, who.organizationId, `${who.name}'s signal is ${who.name}'s`)
      }
    }
  )

  await t.test('every list and report route: a member sees nothing of the other organization', async t => {
    // A silence and a deploy marker each, on components of their own so they hold nothing above.
    for (const who of tenants) {
      for (const [url, payload] of [
        [
          '/v1/silences',
          {
            matchers: [{ name: 'component_name', value: `${who.marker}-silenced` }],
            ends_at: new Date(Date.now() + 3_600_000).toISOString(),
            comment: `${who.marker} maintenance`
          }
        ],
        ['/v1/deployments', { component_name: `${who.marker}-deployed`, version: '1.0.0' }]
      ] as const) {
        const res = await ctx.app.inject({
          method: 'POST',
          url,
          headers: ctx.service.headers,
          payload: { ...payload, organization_id: who.organizationId }
        })
        t.equal(res.statusCode, 201, res.body)
      }
    }
    for (const who of tenants) {
      const stranger = other(who)
      const foreign = [
        stranger.organizationId,
        stranger.marker,
        stranger.tokens.user.id,
        stranger.endpoint.url,
        stranger.keyPrefix
      ]
      for (const url of MEMBER_ROUTES) {
        const res = await ctx.app.inject({ url, headers: who.tokens.user.headers })
        t.ok(res.statusCode === 200 || res.statusCode === 404, `${url}: ${res.statusCode}`)
        for (const value of foreign)
          t.notOk(res.body.includes(value), `${who.name}'s member reads nothing of the other organization at ${url}`)
      }
      for (const url of SERVICE_REPORTS) {
        const res = await ctx.app.inject({
          url: `${url}${url.includes('?') ? '&' : '?'}organization_id=${who.organizationId}`,
          headers: ctx.service.headers
        })
        t.ok(res.statusCode === 200 || res.statusCode === 404, `${url} for ${who.name}: ${res.statusCode}`)
        for (const value of foreign)
          t.notOk(res.body.includes(value), `the service's report for ${who.name} holds nothing of the other at ${url}`)
      }
      for (const url of ['/v1/health-events', '/v1/silences', '/v1/deployments']) {
        const own = await ctx.app.inject({ url, headers: who.tokens.user.headers })
        t.ok(
          own.body.includes(who.marker),
          `${who.name}'s member does read their own ${url} (the checks above are not vacuous)`
        )
      }
      t.match((await ctx.app.inject({ url: `/v1/runbooks/${RUNBOOK}`, headers: who.tokens.user.headers })).json(), {
        organization_id: who.organizationId,
        document: { description: who.marker }
      })
      t.match((await ctx.app.inject({ url: `/v1/components/${COMPONENT}`, headers: who.tokens.user.headers })).json(), {
        organization_id: who.organizationId,
        key_prefix: who.keyPrefix
      })
    }
  })
})
