import t from 'tap'
import { notify } from '../../../src/services/notify/notify.js'
import type { EscalationMessage, NotificationChannel } from '../../../src/services/notify/types.js'
import { startControlEndpoint } from '../../helpers/control-endpoint.js'

const SECRET = 'escalation-signing-secret'

const message: EscalationMessage = {
  escalation_id: '5b1f0c2e-8d53-4a4e-9f7e-2f3a0c1d9e11',
  title: 'restart_function failed on checkout-api',
  severity: 'critical',
  summary: 'p95 latency 4200 ms <over> the 800 ms threshold & rising',
  component_name: 'checkout-api',
  action_id: 'a8d2c1f0-1111-4222-8333-944455556666',
  reason: 'NO_TARGET: no control webhook registered',
  details: { attempts: 3 }
}

t.test("a Slack-compatible webhook gets text and blocks, with Slack's markup characters escaped", async t => {
  const slack = await startControlEndpoint(t)
  const records = await notify(
    [{ kind: 'slack', name: 'ops-slack', url: slack.url }],
    message,
    AbortSignal.timeout(5000)
  )

  t.match(records, [{ channel: 'ops-slack', kind: 'slack', ok: true, status: 200 }])
  t.equal(slack.requests.length, 1)
  const body = slack.requests[0]?.body as { text: string; blocks: Array<{ type: string; text?: { text: string } }> }
  t.equal(
    body.text,
    '[CRITICAL] restart_function failed on checkout-api: p95 latency 4200 ms &lt;over&gt; the 800 ms threshold &amp; rising'
  )
  t.same(
    body.blocks.map(block => block.type),
    ['header', 'section', 'context']
  )
  t.equal(body.blocks[0]?.text?.text, message.title)
  t.match(body.blocks[1]?.text?.text, /\*Severity:\* critical/)
  t.match(body.blocks[1]?.text?.text, /NO_TARGET: no control webhook registered/)
})

t.test('a generic webhook gets the escalation as JSON, signed and keyed by the escalation id', async t => {
  const receiver = await startControlEndpoint(t, { secret: SECRET })
  const records = await notify(
    [{ kind: 'webhook', name: 'pager', url: receiver.url, secret: SECRET }],
    message,
    AbortSignal.timeout(5000)
  )

  t.match(records, [{ channel: 'pager', kind: 'webhook', ok: true, status: 200 }])
  t.equal(receiver.requests[0]?.signatureValid, true)
  t.equal(receiver.requests[0]?.idempotencyKey, message.escalation_id)
  t.same(receiver.requests[0]?.body, { event: 'escalation', ...message })
  t.notOk(JSON.stringify(records).includes(SECRET))
})

t.test('a generic webhook without a secret is sent unsigned', async t => {
  const receiver = await startControlEndpoint(t)
  const records = await notify(
    [{ kind: 'webhook', name: 'log-sink', url: receiver.url }],
    message,
    AbortSignal.timeout(5000)
  )

  t.equal(records[0]?.ok, true)
  t.equal(receiver.requests[0]?.headers['webhook-signature'], undefined)
})

t.test('failing channels are recorded and never stop the others', async t => {
  const slack = await startControlEndpoint(t)
  slack.script({ status: 500, body: 'internal_error' })
  const hanging = await startControlEndpoint(t)
  hanging.script('hang')
  const receiver = await startControlEndpoint(t, { secret: SECRET })
  const channels: NotificationChannel[] = [
    { kind: 'slack', name: 'ops-slack', url: slack.url },
    { kind: 'webhook', name: 'stuck', url: hanging.url },
    { kind: 'webhook', name: 'broken', url: 'not a url' },
    { kind: 'sms', name: 'phone', url: receiver.url } as unknown as NotificationChannel,
    { kind: 'webhook', name: 'pager', url: receiver.url, secret: SECRET }
  ]

  const records = await notify(channels, message, AbortSignal.timeout(500))

  t.match(records, [
    { channel: 'ops-slack', ok: false, status: 500, error: /HTTP 500: internal_error/ },
    { channel: 'stuck', ok: false, error: /time limit/ },
    { channel: 'broken', ok: false, error: /not a URL/ },
    { channel: 'phone', ok: false, error: /unknown channel kind sms/ },
    { channel: 'pager', ok: true, status: 200 }
  ])
  for (const record of records) t.ok(!Number.isNaN(Date.parse(record.sent_at)), `${record.channel} has sent_at`)
  t.equal(receiver.requests.length, 1, 'only the known channel kind reached the receiver')
  t.equal(receiver.requests[0]?.signatureValid, true)
})
