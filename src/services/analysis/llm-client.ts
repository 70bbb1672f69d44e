// Makes the one chat-completion call, bounded by a time budget, and turns every way it can fail
// into a reason the analyzer records. No retries: the detector's 3 s leave no room for them, and
// the breaker decides when the endpoint is worth another try.
import OpenAI from 'openai'
import { redact } from '../redaction.js'
import type { ChatMessage } from './prompt.js'
import type { FallbackReason } from './types.js'

export interface ClientSettings {
  apiKey: string
  /** An OpenAI-compatible endpoint; OpenAI's own when unset. */
  baseUrl?: string | undefined
}

export interface CompletionRequest {
  model: string
  messages: ChatMessage[]
  budgetMs: number
}

export interface Completion {
  text: string
  model: string
  tokensUsed: number | undefined
}

export interface CompletionFailure {
  reason: FallbackReason
  detail: string
  /** How long the server asked us to wait, when it said. */
  retryAfterMs?: number | undefined
}

export type CompletionResult = { ok: true; completion: Completion } | { ok: false; failure: CompletionFailure }

// Everything the SDK would otherwise read from the environment is given (null: none), so the
// client is what the service's config says; its own logging is off because the caller logs.
export function createChatClient(settings: ClientSettings): OpenAI {
  return new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseUrl ?? null,
    organization: null,
    project: null,
    maxRetries: 0,
    logLevel: 'off'
  })
}

function retryAfterMs(headers: Headers): number | undefined {
  const milliseconds = Number(headers.get('retry-after-ms'))
  if (milliseconds > 0) return milliseconds
  const seconds = Number(headers.get('retry-after'))
  return seconds > 0 ? seconds * 1000 : undefined
}

function classify(error: unknown, timedOut: boolean, budgetMs: number): CompletionFailure {
  // The budget's abort surfaces as a user abort or a broken body read; the clock says what it was.
  if (timedOut || error instanceof OpenAI.APIConnectionTimeoutError) {
    return { reason: 'timeout', detail: `no complete reply within ${budgetMs} ms` }
  }
  if (error instanceof OpenAI.RateLimitError) {
    return { reason: 'rate_limited', detail: 'HTTP 429', retryAfterMs: retryAfterMs(error.headers) }
  }
  if (error instanceof OpenAI.APIConnectionError)
    return { reason: 'connection_error', detail: 'could not reach the endpoint' }
  if (error instanceof OpenAI.APIError && error.status !== undefined)
    return { reason: 'http_error', detail: `HTTP ${error.status}` }
  if (error instanceof SyntaxError) return { reason: 'malformed_response', detail: 'response body is not JSON' }
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return { reason: 'unexpected_error', detail: redact(detail).slice(0, 200) }
}

export async function requestCompletion(client: OpenAI, request: CompletionRequest): Promise<CompletionResult> {
  // The SDK's own timeout stops waiting for headers only; this signal also cuts a stalled body.
  const budget = new AbortController()
  const timer = setTimeout(() => budget.abort(), request.budgetMs)
  try {
    const completion = await client.chat.completions.create(
      {
        model: request.model,
        messages: request.messages,
        temperature: 0.3,
        max_tokens: 500,
        response_format: { type: 'json_object' }
      },
      { signal: budget.signal, timeout: request.budgetMs, maxRetries: 0 }
    )
    const text = completion.choices[0]?.message.content
    if (typeof text !== 'string' || text === '') {
      return { ok: false, failure: { reason: 'malformed_response', detail: 'reply has no message content' } }
    }
    return {
      ok: true,
      completion: { text, model: completion.model || request.model, tokensUsed: completion.usage?.total_tokens }
    }
  } catch (error) {
    return { ok: false, failure: classify(error, budget.signal.aborted, request.budgetMs) }
  } finally {
    clearTimeout(timer)
  }
}
