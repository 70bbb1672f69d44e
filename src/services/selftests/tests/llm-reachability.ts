// LLM reachability: the endpoint root-cause analysis depends on answers a tiny chat completion
// within a short budget, through the same client and call the analyzer uses. Without a key
// the service is working as configured (rule-based analysis only), which is worth a warning,
// not a failure.
import { createChatClient, requestCompletion } from '../../analysis/llm-client.js'
import type { SelftestDefinition } from '../types.js'

const BUDGET_MS = 5000

export const llmReachability: SelftestDefinition = {
  name: 'llm_reachability',
  category: 'analysis',
  type: 'reachability',
  description: `One minimal chat completion to the configured OpenAI-compatible endpoint within ${BUDGET_MS} ms, answered with JSON; a warning when OPENAI_API_KEY is not set.`,
  version: '1.0.0',
  defaultSchedule: null,
  timeoutSeconds: 10,
  failureSeverity: 'medium',
  target: { componentType: 'llm', componentName: 'openai' },
  parameters: config => ({
    model: config.openaiModel,
    base_url: config.openaiBaseUrl ?? 'https://api.openai.com/v1',
    budget_ms: BUDGET_MS
  }),
  run: async ({ config, assert }) => {
    if (config.openaiApiKey === undefined) {
      assert.warn('llm_api_key_set', 'OPENAI_API_KEY is not set: root-cause analysis is rule-based only', {
        recommendation: 'Set OPENAI_API_KEY to add LLM root-cause analysis to detected anomalies'
      })
      return
    }
    assert.pass('llm_api_key_set', 'an API key is configured')
    const client = createChatClient({ apiKey: config.openaiApiKey, baseUrl: config.openaiBaseUrl })
    const { value: result, ms } = await assert.probe(
      async () =>
        await requestCompletion(client, {
          model: config.openaiModel,
          messages: [
            { role: 'system', content: 'Health check. Reply with the JSON object {"ok": true} and nothing else.' }
          ],
          budgetMs: BUDGET_MS
        })
    )
    if (!result.ok) {
      assert.fail('llm_answers', `the endpoint did not answer: ${result.failure.reason} (${result.failure.detail})`, {
        details: { reason: result.failure.reason, duration_ms: Math.round(ms) },
        recommendation:
          "Check OPENAI_BASE_URL, the key's validity and quota, and the provider's status; analysis falls back to rules meanwhile"
      })
      return
    }
    assert.pass('llm_answers', `${result.completion.model} answered in ${Math.round(ms)} ms`, {
      details: { model: result.completion.model, tokens_used: result.completion.tokensUsed ?? null }
    })
    let json = true
    try {
      JSON.parse(result.completion.text)
    } catch {
      json = false
    }
    if (json) assert.pass('llm_answers_json', 'the reply is JSON, as analysis needs')
    else
      assert.warn('llm_answers_json', 'the reply is not JSON: analyses from this model will fall back to rules', {
        recommendation: 'Use a model that honours response_format json_object (OPENAI_MODEL)'
      })
  }
}
