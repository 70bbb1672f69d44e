// A real HTTP server on 127.0.0.1 that speaks enough of OpenAI's chat-completions protocol for the
// real `openai` client to talk to it. Tests script its replies (content, HTTP errors, delays, a
// hang, a body that never finishes, bytes that are not JSON) and read back every request it
// received, so assertions rest on what actually went over the wire.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export type FakeReply =
  /** A chat completion whose message content is `content`. */
  | { kind: 'completion'; content: string; model?: string; totalTokens?: number; delayMs?: number }
  /** An OpenAI-style error body with this status. */
  | { kind: 'error'; status: number; headers?: Record<string, string>; delayMs?: number }
  /** A 200 whose body is this text, JSON or not. */
  | { kind: 'raw'; body: string; delayMs?: number }
  /** Headers and the start of a body, then nothing until the client gives up. */
  | { kind: 'stall_body' }
  /** No answer at all until the client gives up. */
  | { kind: 'hang' }

export interface ReceivedMessage {
  role: string
  content: string
}

export interface ReceivedBody {
  model?: string
  messages?: ReceivedMessage[]
  temperature?: number
  max_tokens?: number
  response_format?: { type: string }
  [key: string]: unknown
}

export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  /** Exactly the bytes received. */
  raw: string
  /** The body parsed, or undefined when it was not JSON. */
  body: ReceivedBody | undefined
}

export interface FakeOpenAI {
  /** Give this to the client as baseURL. */
  baseUrl: string
  requests: ReceivedRequest[]
  /** Replies for the next requests, in order; once they are used up, the default reply. */
  enqueue: (...replies: FakeReply[]) => void
  setDefault: (reply: FakeReply) => void
  close: () => Promise<void>
}

export interface FakeOpenAIOptions {
  /** Where the API lives on the server: '/v1' like OpenAI's, or '' like some compatible servers. */
  basePath?: string
  defaultReply?: FakeReply
}

/** A reply content that passes the analyzer's checks, with any field replaced. */
export function analysisContent(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    summary: 'Checkout latency tripled after the 14:00 deploy.',
    root_cause: 'The new release holds database connections longer, so the pool saturates.',
    actions: [{ action_type: 'rollback_deployment', reason: 'The regression started with the release.' }],
    business_impact: 'Checkout is slow for every customer; abandoned carts rise.',
    evidence: [{ claim: 'Latency is three times its baseline.', metrics: ['latency_ms=2450', 'baseline_value=800'] }],
    ...overrides
  })
}

function completionBody(
  reply: Extract<FakeReply, { kind: 'completion' }>,
  requestedModel: string | undefined,
  id: number
): string {
  const total = reply.totalTokens ?? 321
  return JSON.stringify({
    id: `chatcmpl-fake-${id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: reply.model ?? requestedModel ?? 'gpt-4o',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.content, refusal: null },
        logprobs: null,
        finish_reason: 'stop'
      }
    ],
    usage: {
      prompt_tokens: Math.floor(total * 0.7),
      completion_tokens: total - Math.floor(total * 0.7),
      total_tokens: total
    }
  })
}

function send(res: ServerResponse, reply: FakeReply, requestedModel: string | undefined, id: number): void {
  switch (reply.kind) {
    case 'completion':
      res.writeHead(200, { 'content-type': 'application/json' }).end(completionBody(reply, requestedModel, id))
      return
    case 'error':
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(
        JSON.stringify({
          error: { message: `fake error ${reply.status}`, type: 'server_error', param: null, code: null }
        })
      )
      return
    case 'raw':
      res.writeHead(200, { 'content-type': 'application/json' }).end(reply.body)
      return
    case 'stall_body':
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"id":"chatcmpl-stalled","object":"chat.completion","choices":[')
      return
    case 'hang':
    // Say nothing: the client's abort, or close(), ends the connection.
  }
}

export async function startFakeOpenAI(t: Pick<Test, 'teardown'>, options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const basePath = options.basePath ?? '/v1'
  const requests: ReceivedRequest[] = []
  const queue: FakeReply[] = []
  const timers = new Set<NodeJS.Timeout>()
  let fallback: FakeReply = options.defaultReply ?? { kind: 'completion', content: analysisContent() }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      let body: ReceivedBody | undefined
      try {
        body = JSON.parse(raw) as ReceivedBody
      } catch {
        body = undefined
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body })
      if (req.method !== 'POST' || req.url !== `${basePath}/chat/completions`) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'not found' } }))
        return
      }
      const reply = queue.shift() ?? fallback
      const delayMs = 'delayMs' in reply ? (reply.delayMs ?? 0) : 0
      const id = requests.length
      if (delayMs === 0) {
        send(res, reply, body?.model, id)
        return
      }
      const timer = setTimeout(() => {
        timers.delete(timer)
        if (!res.destroyed) send(res, reply, body?.model, id)
      }, delayMs)
      timers.add(timer)
      res.on('close', () => {
        clearTimeout(timer)
        timers.delete(timer)
      })
    })
  })

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  let closed = false
  async function close(): Promise<void> {
    if (closed) return
    closed = true
    for (const timer of timers) clearTimeout(timer)
    server.closeAllConnections()
    await new Promise<void>((resolve, reject) =>
      server.close(error => (error === undefined ? resolve() : reject(error)))
    )
  }
  t.teardown(close)

  return {
    baseUrl: `http://127.0.0.1:${port}${basePath}`,
    requests,
    enqueue: (...replies) => {
      queue.push(...replies)
    },
    setDefault: reply => {
      fallback = reply
    },
    close
  }
}
