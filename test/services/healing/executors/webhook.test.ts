import { randomUUID } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import t from 'tap'
import { getExecutor } from '../../../../src/services/healing/executors/registry.js'
import type { ComponentTarget, ExecutionRequest, Executor } from '../../../../src/services/healing/executors/types.js'
import { closedPort, startControlEndpoint } from '../../../helpers/control-endpoint.js'
import { targetPolicy } from '../../../../src/lib/address-policy.js'

const SECRET = 'whsec_c2hhcmVkLWNvbnRyb2wtc2VjcmV0LTAxMjM0NTY3ODk='

// The suite's targets listen on 127.0.0.1, which the policy refuses unless allow-listed.
const LOCAL_TARGETS = targetPolicy(['127.0.0.1'])

function executor(type: string): Executor {
  const found = getExecutor(type)
  if (found === undefined) throw new Error(`no executor ${type}`)
  return found
}

function webhookTarget(url: string, secret: string | null = SECRET): ComponentTarget {
  return {
    component_name: 'checkout-api',
    component_type: 'service',
    webhook_url: url,
    ...(secret === null ? {} : { webhook_secret: secret })
  }
}

function request(overrides: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    actionId: randomUUID(),
    actionType: 'restart_function',
    organizationId: null,
    componentName: 'checkout-api',
    parameters: {},
    attempt: 1,
    target: null,
    dryRun: false,
    policy: LOCAL_TARGETS,
    signal: AbortSignal.timeout(5000),
    ...overrides
  }
}

t.test('the receiver verifies the signature of the raw body and gets the action id as Idempotency-Key', async t => {
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  const req = request({ target: webhookTarget(endpoint.url), parameters: { reason: 'latency spike' } })
  const result = await executor('restart_function').execute(req)

  t.equal(result.success, true)
  t.equal(result.simulated, false)
  t.equal(endpoint.requests.length, 1)
  const received = endpoint.requests[0]
  t.equal(received?.signatureValid, true)
  t.equal(received?.idempotencyKey, req.actionId)
  t.equal(received?.attempt, 1)
  t.match(received?.headers['content-type'], /^application\/json/)
  t.same(received?.body, {
    action_id: req.actionId,
    action_type: 'restart_function',
    organization_id: req.organizationId,
    component_name: 'checkout-api',
    parameters: { reason: 'latency spike' },
    dry_run: false
  })
  t.same(endpoint.effects, [req.actionId])
  t.match(result.result, { via: 'webhook', status: 200, response_excerpt: '{"ok":true}', attempt: 1 })
  t.notOk(JSON.stringify(result).includes(SECRET), 'the secret is not in the result')
})

t.test('a receiver holding another secret refuses the request, and that is not retried', async t => {
  const endpoint = await startControlEndpoint(t, { secret: 'a-different-secret' })
  const result = await executor('restart_function').execute(request({ target: webhookTarget(endpoint.url) }))

  t.equal(result.success, false)
  t.equal(result.errorCode, 'HTTP_401')
  t.equal(result.retryable, false)
  t.equal(endpoint.requests[0]?.signatureValid, false)
  t.same(endpoint.effects, [])
})

t.test('every attempt carries the same Idempotency-Key and its own attempt number; the receiver acts once', async t => {
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  endpoint.script({ status: 500, body: 'boom' }, { status: 429, headers: { 'retry-after': '7' } })
  const actionId = randomUUID()
  const attempt = async (n: number) =>
    await executor('scale_up').execute(
      request({
        actionId,
        actionType: 'scale_up',
        attempt: n,
        parameters: { delta: 2 },
        target: webhookTarget(endpoint.url)
      })
    )

  const first = await attempt(1)
  t.match(first, { success: false, errorCode: 'HTTP_500', retryable: true })
  t.match(first.error, /HTTP 500: boom/)
  const second = await attempt(2)
  t.match(second, { success: false, errorCode: 'HTTP_429', retryable: true })
  t.equal(second.result.retry_after, '7')
  const third = await attempt(3)
  t.equal(third.success, true)
  const repeat = await attempt(4)
  t.equal(repeat.success, true, 'a repeat after success gets the first answer again')

  t.same(
    endpoint.requests.map(r => r.idempotencyKey),
    [actionId, actionId, actionId, actionId]
  )
  t.same(
    endpoint.requests.map(r => r.attempt),
    [1, 2, 3, 4]
  )
  t.ok(endpoint.requests.every(r => r.signatureValid))
  t.same(
    endpoint.requests.map(r => r.replayed),
    [false, false, false, true]
  )
  t.same(endpoint.effects, [actionId], 'the receiver acted once')
  t.same((endpoint.requests[0]?.body as { parameters: unknown }).parameters, { delta: 2 })
})

t.test('a 4xx other than 408 and 429 is a failure that is not retried', async t => {
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  endpoint.script({ status: 422, body: '{"error":"unknown version"}' })
  const result = await executor('rollback_deployment').execute(
    request({
      actionType: 'rollback_deployment',
      parameters: { to_version: 'v9' },
      target: webhookTarget(endpoint.url)
    })
  )

  t.match(result, { success: false, simulated: false, errorCode: 'HTTP_422', retryable: false })
  t.equal(result.result.status, 422)
  t.equal(result.result.response_excerpt, '{"error":"unknown version"}')
})

t.test('a redirect is a failure and is not followed to the other host', async t => {
  const elsewhere = await startControlEndpoint(t)
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  endpoint.script({ status: 307, headers: { location: elsewhere.url } })
  const result = await executor('restart_function').execute(request({ target: webhookTarget(endpoint.url) }))

  t.match(result, { success: false, errorCode: 'HTTP_307', retryable: false })
  t.equal(elsewhere.requests.length, 0, 'nothing reached the redirect target')
})

t.test('a hanging endpoint is cut off by the signal: TIMEOUT, retryable, returned promptly', async t => {
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  endpoint.script('hang')
  const started = Date.now()
  const result = await executor('restart_function').execute(
    request({ target: webhookTarget(endpoint.url), signal: AbortSignal.timeout(300) })
  )
  const elapsed = Date.now() - started

  t.match(result, { success: false, simulated: false, errorCode: 'TIMEOUT', retryable: true })
  t.equal(endpoint.requests.length, 1, 'the request did arrive')
  t.ok(elapsed >= 250 && elapsed < 3000, `returned after ${elapsed} ms`)
})

t.test('a signal aborted for another reason is ABORTED, not TIMEOUT', async t => {
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  endpoint.script('hang')
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 100)
  const result = await executor('restart_function').execute(
    request({ target: webhookTarget(endpoint.url), signal: controller.signal })
  )

  t.match(result, { success: false, errorCode: 'ABORTED', retryable: true })
})

t.test('an endpoint nobody listens on is a retryable NETWORK failure', async t => {
  const result = await executor('restart_function').execute(
    request({ target: webhookTarget(`http://127.0.0.1:${await closedPort()}/control`) })
  )

  t.match(result, { success: false, errorCode: 'NETWORK', retryable: true })
  t.equal(
    result.error,
    'control endpoint of checkout-api could not be reached',
    'no errno, address or port: the engine is no port scanner'
  )
})

t.test('a dry run sends nothing and says it was simulated', async t => {
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  const result = await executor('scale_down').execute(
    request({
      actionType: 'scale_down',
      parameters: { replicas: 2 },
      target: webhookTarget(endpoint.url),
      dryRun: true
    })
  )

  t.equal(result.success, true)
  t.equal(result.simulated, true)
  t.match(result.output, /^dry run: would POST scale_down/)
  t.match(result.result, { dry_run: true, via: 'webhook', parameters: { replicas: 2 } })
  t.equal(endpoint.requests.length, 0, 'the endpoint received nothing')
})

t.test('no target: NO_TARGET, not retryable, naming the fields that would be needed', async t => {
  const bare: ComponentTarget = { component_name: 'checkout-api', component_type: 'service' }
  for (const target of [null, bare]) {
    const result = await executor('restart_function').execute(request({ target }))
    t.match(result, { success: false, simulated: false, errorCode: 'NO_TARGET', retryable: false })
    t.match(result.error, /webhook_url \+ webhook_secret/)
  }
  const cache = await executor('clear_cache').execute(request({ actionType: 'clear_cache', target: bare }))
  t.match(cache.error, /redis_url \+ key_prefix, or webhook_url \+ webhook_secret/)
  const connections = await executor('reset_connection').execute(
    request({ actionType: 'reset_connection', target: bare })
  )
  t.match(connections.error, /database_url \+ application_name, or webhook_url \+ webhook_secret/)
})

t.test('a dry run without a target reports that the real run would fail', async t => {
  const result = await executor('restart_function').execute(request({ target: null, dryRun: true }))

  t.match(result, { success: false, simulated: true, errorCode: 'NO_TARGET' })
})

t.test('a webhook without a secret is refused before anything is sent', async t => {
  const endpoint = await startControlEndpoint(t)
  const result = await executor('restart_function').execute(request({ target: webhookTarget(endpoint.url, null) }))

  t.match(result, { success: false, errorCode: 'INVALID_TARGET', retryable: false })
  t.match(result.error, /no usable webhook_secret/)
  t.equal(endpoint.requests.length, 0)
})

t.test('a webhook URL carrying credentials or another scheme is refused without being repeated', async t => {
  for (const url of ['http://user:pw@127.0.0.1:1/control', 'ftp://127.0.0.1/control', 'not a url']) {
    const result = await executor('restart_function').execute(request({ target: webhookTarget(url) }))
    t.match(result, { success: false, errorCode: 'INVALID_TARGET', retryable: false })
    t.notOk(result.error?.includes(url), 'the URL is not echoed')
  }
})

t.test('invalid parameters are refused before anything is sent', async t => {
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  const result = await executor('scale_up').execute(
    request({
      actionType: 'scale_up',
      parameters: { replicas: 3, delta: 1 },
      target: webhookTarget(endpoint.url)
    })
  )

  t.match(result, { success: false, errorCode: 'INVALID_PARAMETERS', retryable: false })
  t.match(result.error, /replicas: give either replicas or delta/)
  t.equal(endpoint.requests.length, 0)
})

t.test(
  "deliveries follow Standard Webhooks: the receiver's library verifies them, webhook-id is the action id on every attempt, and the signature binds the timestamp",
  async t => {
    const endpoint = await startControlEndpoint(t)
    endpoint.script({ status: 503 })
    const actionId = randomUUID()
    for (const attempt of [1, 2])
      await executor('restart_function').execute(request({ actionId, attempt, target: webhookTarget(endpoint.url) }))

    const receiver = new Webhook(SECRET)
    t.equal(endpoint.requests.length, 2)
    for (const received of endpoint.requests) {
      const headers = received.headers as Record<string, string>
      t.same(receiver.verify(received.rawBody.toString('utf8'), headers), received.body, 'verified by standardwebhooks')
      t.equal(headers['webhook-id'], actionId)
      t.equal(headers['idempotency-key'], actionId)
      t.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+={0,2}$/)
      // A captured request cannot be passed off with a fresh timestamp, nor its body changed.
      t.throws(() =>
        receiver.verify(received.rawBody.toString('utf8'), {
          ...headers,
          'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1)
        })
      )
      t.throws(() =>
        receiver.verify(received.rawBody.toString('utf8').replace('restart_function', 'scale_down__'), headers)
      )
    }
    t.same(
      endpoint.requests.map(received => received.attempt),
      [1, 2]
    )
    t.throws(
      () =>
        new Webhook('whsec_b3RoZXItc2VjcmV0LW9mLWVub3VnaC1sZW5ndGgtMDE=').verify(
          endpoint.requests[0]?.rawBody.toString('utf8') ?? '',
          endpoint.requests[0]?.headers as Record<string, string>
        ),
      'another secret does not verify'
    )
  }
)
