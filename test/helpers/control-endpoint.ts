// A component's control endpoint on 127.0.0.1, as a real receiver would run it: it verifies the
// Standard Webhooks signature of the raw body with the specification's own library (`standardwebhooks`,
// which also refuses stale timestamps), acts once per Idempotency-Key (a repeat gets the first
// answer back), and records every request so tests can see exactly what arrived. Also the two
// broken targets executors must survive: a port nobody listens on and a server that never answers.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { Webhook } from 'standardwebhooks'
import type { Test } from 'tap'
import { standardSecret } from '../../src/services/healing/executors/standard-webhooks.js'

/** What the endpoint does with the next request: answer, or never answer. */
export type Behaviour = { status: number; body?: string; headers?: Record<string, string> } | 'hang'

export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  rawBody: Buffer
  body: unknown
  attempt: number | undefined
  idempotencyKey: string | undefined
  signatureValid: boolean
  /** The key had already been acted on, so the stored answer was sent again. */
  replayed: boolean
  /** Date.now() when the request arrived, for tests of timing between attempts. */
  receivedAt: number
}

export interface ControlEndpoint {
  url: string
  requests: ReceivedRequest[]
  /** Idempotency keys acted on, once each. */
  effects: string[]
  /** Queues behaviours for the next requests; an empty queue answers 200 {"ok":true}. */
  script: (...behaviours: Behaviour[]) => void
}

interface Answer {
  status: number
  body: string
  headers: Record<string, string>
}

function signatureMatches(secret: string | undefined, rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
  if (secret === undefined) return false
  try {
    new Webhook(standardSecret(secret)).verify(rawBody.toString('utf8'), headers as Record<string, string>)
    return true
  } catch {
    return false
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function parse(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    return raw.toString('utf8')
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Starts an endpoint that checks signatures with `secret`, a whsec_ secret or a plain one as standardSecret reads it (none: every request is accepted unsigned). */
export async function startControlEndpoint(
  t: Pick<Test, 'teardown'>,
  options: { secret?: string } = {}
): Promise<ControlEndpoint> {
  const queue: Behaviour[] = []
  const answered = new Map<string, Answer>()
  const endpoint: ControlEndpoint = {
    url: '',
    requests: [],
    effects: [],
    script: (...behaviours) => {
      queue.push(...behaviours)
    }
  }

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const receivedAt = Date.now()
    const rawBody = await readBody(request)
    const idempotencyKey = header(request.headers, 'idempotency-key')
    const attempt = header(request.headers, 'x-core314-attempt')
    const signatureValid = signatureMatches(options.secret, rawBody, request.headers)
    const stored = idempotencyKey === undefined ? undefined : answered.get(idempotencyKey)
    endpoint.requests.push({
      method: request.method ?? '',
      path: request.url ?? '',
      headers: request.headers,
      rawBody,
      body: parse(rawBody),
      attempt: attempt === undefined ? undefined : Number(attempt),
      idempotencyKey,
      signatureValid,
      replayed: stored !== undefined,
      receivedAt
    })
    if (options.secret !== undefined && !signatureValid) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad signature"}')
      return
    }
    if (stored !== undefined) {
      response.writeHead(stored.status, stored.headers).end(stored.body)
      return
    }
    const behaviour = queue.shift() ?? { status: 200, body: '{"ok":true}' }
    if (behaviour === 'hang') return
    const answer = {
      status: behaviour.status,
      body: behaviour.body ?? '',
      headers: { 'content-type': 'application/json', ...behaviour.headers }
    }
    // Only a request the endpoint carried out is remembered; a failed one may be tried again.
    if (answer.status >= 200 && answer.status < 300 && idempotencyKey !== undefined) {
      answered.set(idempotencyKey, answer)
      endpoint.effects.push(idempotencyKey)
    }
    response.writeHead(answer.status, answer.headers).end(answer.body)
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.destroy(error as Error)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/control`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  })
  return endpoint
}

/** A port on 127.0.0.1 that was free a moment ago and has no listener now. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

/** A TCP server that accepts connections and never says a word, like a frozen database or cache. */
export async function startSilentServer(t: Test): Promise<number> {
  const sockets = new Set<Socket>()
  const server = createTcpServer(socket => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>(resolve => server.close(() => resolve()))
  })
  return (server.address() as AddressInfo).port
}
