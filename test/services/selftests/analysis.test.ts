// llm_reachability: a warning without a key, a pass when the endpoint answers JSON, a failure
// when it answers 500 (a real HTTP server speaking OpenAI's protocol).
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { startFakeOpenAI } from '../../helpers/fake-openai.js'
import { named, runTest } from '../../helpers/selftests.js'

t.test('without an API key the result is a warning', async t => {
  const ctx = await buildTestApp(t)
  const row = await runTest(ctx, 'llm_reachability')
  t.match(row, {
    test_result: 'warning',
    success: true,
    warning_count: 1,
    pass_count: 0,
    severity: 'medium',
    action_required: false
  })
  t.same(named(row, 'assertions_warnings'), ['llm_api_key_set'])
  t.match(row.recommendations, [/Set OPENAI_API_KEY/])
})

t.test('with a key, one small completion must come back', async t => {
  const llm = await startFakeOpenAI(t, {
    defaultReply: { kind: 'completion', content: '{"ok":true}', totalTokens: 12 }
  })
  const ctx = await buildTestApp(t, { openaiApiKey: 'sk-test', openaiBaseUrl: llm.baseUrl, openaiModel: 'gpt-4o-mini' })
  const row = await runTest(ctx, 'llm_reachability')
  t.match(row, { test_result: 'passed', pass_count: 3 })
  t.equal(llm.requests.length, 1, 'one call')
  t.equal(llm.requests[0]?.body?.model, 'gpt-4o-mini')
  t.ok((row.response_time_ms ?? 0) > 0)

  llm.setDefault({ kind: 'error', status: 500 })
  const failed = await runTest(ctx, 'llm_reachability')
  t.match(failed, {
    test_result: 'failed',
    success: false,
    failure_reason: /llm_answers: the endpoint did not answer: http_error \(HTTP 500\)/
  })
})
