// Local receivers that speak the channels' protocols, with failures on demand:
// - PagerDuty Events API v2: checks routing_key, event_action, dedup_key and the trigger's
//   payload as PagerDuty does (400 "Invalid event"), answers 202 with the dedup_key, and keeps
//   each alert's state (triggered, acknowledged, resolved) the way an incident would move;
// - a Slack incoming webhook: 200 "ok", or 400 "invalid_payload" without text;
// - a Standard Webhooks receiver verifying signatures with the specification's own library.
// Any of them can be told to answer the next requests with a status (429 with Retry-After,
// 500...) or to never answer.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { Webhook } from 'standardwebhooks'

export type Failure = { status: number; headers?: Record<string, string>; body?: string } | 'hang'

export interface Received {
  headers: IncomingHttpHeaders
  raw: string
  body: Record<string, unknown>
  /** The answer given: a scripted failure's status, or the protocol's. */
  status: number | 'hang'
}

export interface Receiver {
  url: string
  received: Received[]
  /** Answers the next requests with these instead of the protocol. */
  fail: (...failures: Failure[]) => void
}

type Protocol = (
  body: Record<string, unknown>,
  raw: string,
  headers: IncomingHttpHeaders
) => { status: number; body: unknown }

async function start(t: Pick<Test, 'teardown'>, path: string, protocol: Protocol): Promise<Receiver> {
  const queue: Failure[] = []
  const receiver: Receiver = {
    url: '',
    received: [],
    fail: (...failures) => {
      queue.push(...failures)
    }
  }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(raw) as Record<string, unknown>
      } catch {
        body = {}
      }
      const failure = queue.shift()
      if (failure === 'hang') {
        receiver.received.push({ headers: request.headers, raw, body, status: 'hang' })
        return
      }
      const answer =
        failure === undefined
          ? protocol(body, raw, request.headers)
          : { status: failure.status, body: failure.body ?? '' }
      receiver.received.push({ headers: request.headers, raw, body, status: answer.status })
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
      response
        .writeHead(answer.status, {
          'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
          ...(failure === undefined ? {} : failure.headers)
        })
        .end(text)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  })
  return receiver
}

export interface PagerDuty extends Receiver {
  /** dedup_key -> the alert's state after the events received. */
  alerts: Map<string, 'triggered' | 'acknowledged' | 'resolved'>
}

const PD_SEVERITIES = ['critical', 'error', 'warning', 'info']

export async function startPagerDuty(t: Pick<Test, 'teardown'>, routingKey: string): Promise<PagerDuty> {
  const alerts = new Map<string, 'triggered' | 'acknowledged' | 'resolved'>()
  const receiver = await start(t, '/v2/enqueue', body => {
    const errors: string[] = []
    if (body.routing_key !== routingKey) errors.push('Invalid routing key')
    const action = body.event_action
    if (action !== 'trigger' && action !== 'acknowledge' && action !== 'resolve') errors.push('event_action is invalid')
    const dedupKey = typeof body.dedup_key === 'string' ? body.dedup_key : undefined
    if (action !== 'trigger' && dedupKey === undefined) errors.push('dedup_key is required for acknowledge and resolve')
    if (action === 'trigger') {
      const payload = body.payload as Record<string, unknown> | undefined
      if (typeof payload?.summary !== 'string' || payload.summary === '') errors.push('payload.summary is required')
      if (typeof payload?.source !== 'string' || payload.source === '') errors.push('payload.source is required')
      if (!PD_SEVERITIES.includes(String(payload?.severity))) errors.push('payload.severity is invalid')
    }
    if (errors.length > 0)
      return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } }
    const key = dedupKey ?? `generated-${alerts.size}`
    const state = alerts.get(key)
    // An acknowledge or resolve for an alert PagerDuty does not know, or one already resolved, is dropped.
    if (action === 'trigger' && state !== 'acknowledged') alerts.set(key, 'triggered')
    if (action === 'acknowledge' && state === 'triggered') alerts.set(key, 'acknowledged')
    if (action === 'resolve' && state !== undefined) alerts.set(key, 'resolved')
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } }
  })
  return Object.assign(receiver, { alerts })
}

export async function startSlack(t: Pick<Test, 'teardown'>): Promise<Receiver> {
  return await start(t, '/services/T000/B000/XXXX', body =>
    typeof body.text === 'string' && body.text !== ''
      ? { status: 200, body: 'ok' }
      : { status: 400, body: 'invalid_payload' }
  )
}

export async function startWebhookReceiver(
  t: Pick<Test, 'teardown'>,
  secret: () => string
): Promise<Receiver & { verified: unknown[] }> {
  const verified: unknown[] = []
  const receiver = await start(t, '/hooks/core314', (_body, raw, headers) => {
    try {
      verified.push(new Webhook(secret()).verify(raw, headers as Record<string, string>))
      return { status: 204, body: '' }
    } catch (error) {
      return { status: 401, body: { error: (error as Error).message } }
    }
  })
  return Object.assign(receiver, { verified })
}
