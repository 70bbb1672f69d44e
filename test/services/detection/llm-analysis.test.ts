// The detector's root-cause analysis through a local OpenAI-protocol server and the real openai
// client: what is stored on the signal, what was sent (redacted, actions limited to the executor
// registry), and the rule-based analysis standing in for a malformed reply, a 500 and a reply
// slower than the run's budget.
import t, { type Test } from 'tap'
import { buildTestApp, testConfig, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { analysisContent, startFakeOpenAI, type FakeOpenAI, type FakeReply } from '../../helpers/fake-openai.js'
import { executorTypes } from '../../../src/services/healing/executors/registry.js'
import { evaluationTime, historyThen, insertSeries } from './series.js'

const SECRET_TEXT =
  'checkout failed for jane.doe@example.com from 203.0.113.7 using api_key=sk-live-ABCdef1234567890XYZabc'

// A run's evaluation on a loaded machine can eat a 2.5 s budget before the LLM is asked: the
// tests of what the LLM path does give it room, and the budget test uses the default.
async function setup(
  t: Test,
  reply?: FakeReply,
  runBudgetMs = 30_000
): Promise<{ ctx: TestApp; fake: FakeOpenAI; at: Date }> {
  const fake = await startFakeOpenAI(t, reply === undefined ? {} : { defaultReply: reply })
  const config = testConfig()
  const ctx = await buildTestApp(t, {
    openaiApiKey: 'sk-test-key-for-the-fake-server',
    openaiBaseUrl: fake.baseUrl,
    detection: { ...config.detection, runBudgetMs }
  })
  const at = evaluationTime()
  const points = historyThen(at, 120, 800, 20, [800, 2450, 2600])
  const spike = points.at(-2)
  if (spike !== undefined) spike.last_error_message = SECRET_TEXT
  await insertSeries(ownerSql(t, ctx.databaseUrl), 'checkout-api', points)
  return { ctx, fake, at }
}

async function detect(t: Test, ctx: TestApp, at: Date, analyze = true) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/anomalies/detect',
    headers: ctx.service.headers,
    payload: { at: at.toISOString(), analyze }
  })
  t.equal(res.statusCode, 200, res.body)
  return res.json()
}

t.test(
  'an LLM analysis is stored on the signal; the prompt is redacted and its actions cut to the executors',
  async t => {
    const { ctx, fake, at } = await setup(t, {
      kind: 'completion',
      content: analysisContent({
        actions: [
          { action_type: 'drop_database', reason: 'start over' },
          { action_type: 'rollback_deployment', reason: 'the release did it' }
        ]
      }),
      totalTokens: 412
    })
    const run = await detect(t, ctx, at)
    t.equal(fake.requests.length, 1)
    const sent = fake.requests[0]
    t.match(sent?.body, { model: 'gpt-4o', temperature: 0.3, max_tokens: 500 })
    for (const secret of ['jane.doe@example.com', '203.0.113.7', 'sk-live-ABCdef1234567890XYZabc'])
      t.notOk(sent?.raw.includes(secret), `${secret} was not sent`)
    t.ok(sent?.raw.includes('checkout failed for'), 'the event text itself was sent')
    t.ok(sent?.raw.includes('latency_ms'), 'with the metric it rests on')

    const signal = run.signals[0]
    t.match(signal, {
      detection_method: 'statistical+llm_analysis',
      anomaly_summary: 'Checkout latency tripled after the 14:00 deploy.',
      root_cause_analysis: /holds database connections longer/,
      business_impact: /abandoned carts/,
      gpt4o_model: 'gpt-4o',
      gpt4o_tokens_used: 412,
      gpt4o_analysis_duration_ms: Number,
      gpt4o_response: /rollback_deployment/,
      metadata: { analysis: { produced_by: 'llm', cached: false } }
    })
    t.same(
      signal.recommended_actions.map((action: { action_type: string }) => action.action_type),
      ['rollback_deployment']
    )
    t.ok(executorTypes().includes('rollback_deployment'))
    t.notOk(signal.gpt4o_prompt.includes('jane.doe@example.com'), 'the stored prompt is the redacted one')
    t.equal(signal.gpt4o_prompt, sent?.body === undefined ? '' : JSON.stringify(sent.body.messages))
  }
)

t.test('a malformed reply leaves the rule-based analysis, with the reply kept for inspection', async t => {
  const { ctx, at } = await setup(t, { kind: 'completion', content: 'I think it is the database, probably.' })
  const signal = (await detect(t, ctx, at)).signals[0]
  t.match(signal, {
    detection_method: 'statistical+rule_based_analysis',
    gpt4o_response: 'I think it is the database, probably.',
    root_cause_analysis: String,
    metadata: { analysis: { produced_by: 'rule_based', fallback_reason: 'malformed_response' } }
  })
  for (const action of signal.recommended_actions)
    t.ok(executorTypes().includes(action.action_type), `${String(action.action_type)} is an executor`)
})

t.test('a 500 leaves the rule-based analysis', async t => {
  const { ctx, at } = await setup(t, { kind: 'error', status: 500 })
  t.match((await detect(t, ctx, at)).signals[0], {
    detection_method: 'statistical+rule_based_analysis',
    gpt4o_response: null,
    anomaly_summary: /latency spike on edge_function checkout-api/i,
    metadata: { analysis: { produced_by: 'rule_based', fallback_reason: 'http_error' } }
  })
})

t.test('a reply slower than the budget: the run returns the rule-based analysis within it', async t => {
  const { ctx, at } = await setup(
    t,
    { kind: 'completion', content: analysisContent(), delayMs: 8000 },
    testConfig().detection.runBudgetMs
  )
  const started = Date.now()
  const run = await detect(t, ctx, at)
  t.ok(Date.now() - started < 4000, `answered in ${Date.now() - started} ms`)
  t.ok(run.duration_ms < 3000, "the run stayed under the seed's 3 s")
  t.match(run.signals[0], {
    detection_method: 'statistical+rule_based_analysis',
    root_cause_analysis: String,
    metadata: { analysis: { fallback_reason: 'timeout' } }
  })
})

t.test('analyze: false asks nothing and stores no analysis', async t => {
  const { ctx, fake, at } = await setup(t)
  const signal = (await detect(t, ctx, at, false)).signals[0]
  t.equal(fake.requests.length, 0)
  t.match(signal, { detection_method: 'statistical', root_cause_analysis: null, gpt4o_prompt: null })
})
