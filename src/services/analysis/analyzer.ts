// Root-cause analysis as the detector calls it. The LLM is asked only when there is a key, no
// cached answer for the same anomaly and a closed breaker; whatever it says is checked and its
// actions cut to the allowed list. Every other outcome is the rule-based analysis with the reason
// it stands, so analyze() always resolves, within the time budget, and never throws.
import { performance } from 'node:perf_hooks'
import { LRUCache } from 'lru-cache'
import type OpenAI from 'openai'
import { createCircuitBreaker, type BreakerOptions } from './breaker.js'
import { createChatClient, requestCompletion } from './llm-client.js'
import { buildPrompt } from './prompt.js'
import { allowedOnly, parseReply } from './reply.js'
import { ruleBasedAnalysis } from './rule-based.js'
import { anomalySignature } from './signature.js'
import type { Analysis, AnomalyFacts, FallbackReason } from './types.js'
import { publishLlmCall } from '../../telemetry.js'

export interface RootCauseAnalyzerOptions {
  /** Without a key the analyzer is rule-based only and makes no calls. */
  apiKey?: string | undefined
  baseUrl?: string | undefined
  model?: string | undefined
  /** How long one LLM call may take, in ms (default 2000). */
  budgetMs?: number
  breaker?: BreakerOptions
  /** How long an LLM analysis is reused for the same anomaly signature, in ms (default 1 hour). */
  cacheTtlMs?: number
  cacheMaxEntries?: number
  /** The clock for the breaker and the cache. */
  now?: () => number
}

export interface AnalyzeOptions {
  /** Overrides the analyzer's budget for this call, in ms. */
  budgetMs?: number
}

export interface RootCauseAnalyzer {
  analyze: (facts: AnomalyFacts, allowedActions: readonly string[], options?: AnalyzeOptions) => Promise<Analysis>
}

export const DEFAULT_MODEL = 'gpt-4o'
export const DEFAULT_BUDGET_MS = 2000
export const DEFAULT_CACHE_TTL_MS = 60 * 60 * 1000
const DEFAULT_CACHE_MAX_ENTRIES = 1000

type CallDetails = Pick<Analysis, 'model' | 'prompt' | 'response' | 'tokens_used' | 'duration_ms' | 'fallback_detail'>

function ruleBased(
  facts: AnomalyFacts,
  allowedActions: readonly string[],
  reason: FallbackReason,
  details: CallDetails = {}
): Analysis {
  return { ...ruleBasedAnalysis(facts, allowedActions), produced_by: 'rule_based', fallback_reason: reason, ...details }
}

export function createRootCauseAnalyzer(options: RootCauseAnalyzerOptions = {}): RootCauseAnalyzer {
  const now = options.now ?? Date.now
  const model = options.model ?? DEFAULT_MODEL
  const client =
    options.apiKey === undefined ? undefined : createChatClient({ apiKey: options.apiKey, baseUrl: options.baseUrl })
  const breaker = createCircuitBreaker(options.breaker, now)
  // Holds LLM analyses with the actions the model proposed; each caller gets them cut to its list.
  // The bound keeps a storm of distinct anomalies from growing memory without limit.
  const cache = new LRUCache<string, Analysis>({
    max: options.cacheMaxEntries ?? DEFAULT_CACHE_MAX_ENTRIES,
    ttl: options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS,
    // The injected clock, read on every access (by default a reading is reused for a millisecond).
    perf: { now },
    ttlResolution: 0
  })

  async function askLlm(
    llm: OpenAI,
    facts: AnomalyFacts,
    allowedActions: readonly string[],
    budgetMs: number
  ): Promise<Analysis> {
    const messages = buildPrompt(facts, allowedActions)
    const prompt = JSON.stringify(messages)
    const started = performance.now()
    const result = await requestCompletion(llm, { model, messages, budgetMs })
    const duration = Math.round(performance.now() - started)
    if (!result.ok) {
      breaker.recordFailure(result.failure.retryAfterMs)
      return ruleBased(facts, allowedActions, result.failure.reason, {
        model,
        prompt,
        duration_ms: duration,
        fallback_detail: result.failure.detail
      })
    }
    const call = {
      model: result.completion.model,
      prompt,
      response: result.completion.text,
      tokens_used: result.completion.tokensUsed,
      duration_ms: duration
    }
    const reply = parseReply(result.completion.text)
    if (!reply.ok) {
      breaker.recordFailure()
      return ruleBased(facts, allowedActions, 'malformed_response', { ...call, fallback_detail: reply.detail })
    }
    breaker.recordSuccess()
    return { ...reply.content, produced_by: 'llm', ...call }
  }

  async function analyze(
    facts: AnomalyFacts,
    allowedActions: readonly string[],
    budgetMs: number | undefined
  ): Promise<Analysis> {
    if (client === undefined) return ruleBased(facts, allowedActions, 'no_api_key')
    const signature = anomalySignature(facts)
    const cached = cache.get(signature)
    if (cached !== undefined) return { ...cached, actions: allowedOnly(cached.actions, allowedActions), cached: true }
    if (!breaker.tryAcquire()) return ruleBased(facts, allowedActions, 'breaker_open')
    const analysis = await askLlm(client, facts, allowedActions, budgetMs ?? options.budgetMs ?? DEFAULT_BUDGET_MS)
    if (analysis.produced_by !== 'llm') return analysis
    cache.set(signature, analysis)
    return { ...analysis, actions: allowedOnly(analysis.actions, allowedActions) }
  }

  return {
    async analyze(facts, allowedActions, analyzeOptions = {}) {
      const analysis = await analyze(facts, allowedActions, analyzeOptions.budgetMs)
      publishLlmCall({
        outcome:
          analysis.produced_by === 'llm'
            ? analysis.cached === true
              ? 'cached'
              : 'answered'
            : (analysis.fallback_reason ?? 'rule_based')
      })
      return analysis
    }
  }
}
