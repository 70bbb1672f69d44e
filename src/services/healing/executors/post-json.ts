// One outbound JSON POST with the failure taxonomy the engine retries on. Redirects are never
// followed, so a signed request cannot be bounced to another host, and only the start of the
// answer is read, so a huge or endless response cannot exhaust memory. Work started by an API
// request sends its X-Request-Id, so the receiver's logs and ours meet on one id.
import { currentRequestId } from '../../../request-context.js'
import { abortCode } from './results.js'

export interface PostOutcome {
  ok: boolean
  status?: number
  /** The first RESPONSE_SNIPPET_CHARS characters of the answer. */
  responseBody?: string
  retryAfter?: string
  errorCode?: string
  error?: string
  retryable: boolean
}

const RESPONSE_SNIPPET_CHARS = 1024

/** Why a URL cannot be posted to, without repeating the URL (it may carry a token). */
export function urlProblem (url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not a URL'
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `must be http or https, not ${parsed.protocol}`
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials; sign with the secret instead'
  return undefined
}

async function readSnippet (response: Response): Promise<string> {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    while (text.length < RESPONSE_SNIPPET_CHARS) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  return text.slice(0, RESPONSE_SNIPPET_CHARS)
}

function abortOutcome (signal: AbortSignal): PostOutcome {
  const errorCode = abortCode(signal)
  const error = errorCode === 'TIMEOUT' ? 'gave no answer within the time limit' : 'was abandoned before it answered'
  return { ok: false, errorCode, error, retryable: true }
}

function networkOutcome (error: unknown): PostOutcome {
  // undici puts the socket error (ECONNREFUSED, ENOTFOUND...) in `cause`; its message names no URL path.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const detail = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause)
  return { ok: false, errorCode: 'NETWORK', error: `could not be reached: ${detail}`, retryable: true }
}

function statusOutcome (status: number, responseBody: string | undefined, retryAfter: string | undefined): PostOutcome {
  const base = { status, responseBody, ...(retryAfter === undefined ? {} : { retryAfter }) }
  if (status >= 200 && status < 300) return { ...base, ok: true, retryable: false }
  const said = responseBody === undefined || responseBody === '' ? '' : `: ${responseBody.slice(0, 200)}`
  const error = status >= 300 && status < 400
    ? `answered HTTP ${status}, a redirect, which is not followed`
    : `answered HTTP ${status}${said}`
  const retryable = status === 408 || status === 429 || status >= 500
  return { ...base, ok: false, errorCode: `HTTP_${status}`, error, retryable }
}

export async function postJson (url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<PostOutcome> {
  let response: Response
  const requestId = currentRequestId()
  try {
    response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', ...(requestId === undefined ? {} : { 'X-Request-Id': requestId }), ...headers },
      redirect: 'manual',
      signal
    })
  } catch (error) {
    return signal.aborted ? abortOutcome(signal) : networkOutcome(error)
  }
  // The status is the answer; a body cut short by the time limit does not change it.
  const responseBody = await readSnippet(response).catch(() => undefined)
  return statusOutcome(response.status, responseBody, response.headers.get('retry-after') ?? undefined)
}
