// All outbound HTTP: control calls to targets, escalation notifications and the organizations'
// channels. Requests go out through one undici Agent per target policy whose sockets resolve
// names with the checked lookup; an address written into the URL is checked before the
// request, since a socket given an address never calls lookup at all. postJson adds the
// failure taxonomy the engine and the dispatcher retry on. Redirects are never followed, so a
// signed request cannot be bounced to another host; only the start of the answer is read, so a
// huge or endless response cannot exhaust memory; and only a short, redacted excerpt of it is
// kept. Every way of not reaching the receiver is the one code NETWORK with no detail, so the
// service cannot be used to tell closed ports from filtered or missing hosts. Work started by
// an API request sends its X-Request-Id, so the receiver's logs and ours meet on one id.
import { Agent, fetch, type Response } from 'undici'
import { abortCode } from '../lib/abort.js'
import { readHost, type TargetPolicy } from '../lib/address-policy.js'
import { currentRequestId } from '../request-context.js'
import { redact } from './redaction.js'
import { checkedLookup, refusalOf, resolveChecked, TARGET_REFUSED } from './targets/resolve.js'

const agents = new WeakMap<TargetPolicy, Agent>()

function agentFor(policy: TargetPolicy): Agent {
  let agent = agents.get(policy)
  if (agent === undefined) {
    agent = new Agent({ connect: { lookup: checkedLookup(policy) } })
    agents.set(policy, agent)
  }
  return agent
}

export interface CheckedRequest {
  method: 'POST' | 'HEAD'
  body?: string
  headers?: Record<string, string>
  signal: AbortSignal
}

/**
 * fetch with redirects returned, never followed; with a policy (a control target) the host is
 * checked as it is connected, without one (an operator-configured channel) it is not.
 */
export async function outboundFetch(url: string, request: CheckedRequest, policy?: TargetPolicy): Promise<Response> {
  if (policy !== undefined) {
    const { hostname } = new URL(url)
    // Checking an address needs no lookup; a name is checked by the agent's lookup as it connects.
    if (readHost(hostname)?.kind !== 'name') await resolveChecked(hostname, policy)
  }
  return await fetch(url, {
    method: request.method,
    ...(request.body === undefined ? {} : { body: request.body }),
    headers: request.headers,
    redirect: 'manual',
    signal: request.signal,
    ...(policy === undefined ? {} : { dispatcher: agentFor(policy) })
  })
}

export interface PostOutcome {
  ok: boolean
  status?: number
  /** The first EXCERPT_CHARS characters of the answer, redacted. */
  excerpt?: string
  retryAfter?: string
  errorCode?: string
  error?: string
  retryable: boolean
}

const READ_LIMIT_CHARS = 1024
const EXCERPT_CHARS = 200

/** Why a URL cannot be posted to, without repeating the URL (it may carry a token). */
export function urlProblem(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not a URL'
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return `must be http or https, not ${parsed.protocol}`
  if (parsed.username !== '' || parsed.password !== '')
    return 'must not carry credentials; sign with the secret instead'
  return undefined
}

async function readExcerpt(response: Response): Promise<string> {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    while (text.length < READ_LIMIT_CHARS) {
      const { done, value } = (await reader.read()) as { done: boolean; value: Uint8Array }
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  // Redacted whole before it is cut, so a credential straddling the cut is still recognised.
  return redact(text.slice(0, READ_LIMIT_CHARS)).slice(0, EXCERPT_CHARS)
}

function failedOutcome(error: unknown, signal: AbortSignal): PostOutcome {
  if (signal.aborted) {
    const errorCode = abortCode(signal)
    return {
      ok: false,
      errorCode,
      error: errorCode === 'TIMEOUT' ? 'gave no answer within the time limit' : 'was abandoned before it answered',
      retryable: true
    }
  }
  const refusal = refusalOf(error)
  if (refusal !== undefined)
    return { ok: false, errorCode: TARGET_REFUSED, error: `was not contacted: ${refusal.message}`, retryable: false }
  return { ok: false, errorCode: 'NETWORK', error: 'could not be reached', retryable: true }
}

function statusOutcome(status: number, excerpt: string | undefined, retryAfter: string | undefined): PostOutcome {
  const base = { status, excerpt, ...(retryAfter === undefined ? {} : { retryAfter }) }
  if (status >= 200 && status < 300) return { ...base, ok: true, retryable: false }
  const said = excerpt === undefined || excerpt === '' ? '' : `: ${excerpt}`
  const error =
    status >= 300 && status < 400
      ? `answered HTTP ${status}, a redirect, which is not followed`
      : `answered HTTP ${status}${said}`
  const retryable = status === 408 || status === 429 || status >= 500
  return { ...base, ok: false, errorCode: `HTTP_${status}`, error, retryable }
}

/** POSTs JSON; with a policy the target is checked at connection time (control targets), without one it is an operator-configured channel. */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  policy?: TargetPolicy
): Promise<PostOutcome> {
  const requestId = currentRequestId()
  const request = {
    method: 'POST' as const,
    body,
    headers: {
      'Content-Type': 'application/json',
      ...(requestId === undefined ? {} : { 'X-Request-Id': requestId }),
      ...headers
    },
    signal
  }
  let response: Response
  try {
    response = await outboundFetch(url, request, policy)
  } catch (error) {
    return failedOutcome(error, signal)
  }
  // The status is the answer; a body cut short by the time limit does not change it.
  const excerpt = await readExcerpt(response).catch(() => undefined)
  return statusOutcome(response.status, excerpt, response.headers.get('retry-after') ?? undefined)
}
