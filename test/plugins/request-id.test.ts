// Request ids: a caller's X-Request-Id (when safe) or a new UUID, returned on the response,
// on every log line of the request, on the audit rows and escalation it causes, and on the
// control request it sends.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { startControlEndpoint } from '../helpers/control-endpoint.js'
import { ownerSql } from '../helpers/database.js'
import { anomaly, fastHealing, register, SECRET } from '../services/healing/helpers.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function logCapture(): { stream: { write: (line: string) => void }; lines: () => string[] } {
  const lines: string[] = []
  return {
    stream: {
      write: line => {
        lines.push(line)
      }
    },
    lines: () => lines
  }
}

t.test('a safe X-Request-Id is kept and returned; a missing or unsafe one is replaced by a UUID', async t => {
  const ctx = await buildTestApp(t)
  const kept = await ctx.app.inject({ url: '/healthz', headers: { 'x-request-id': 'checkout-7f3a:retry.2' } })
  t.equal(kept.headers['x-request-id'], 'checkout-7f3a:retry.2')

  const made = await ctx.app.inject({ url: '/healthz' })
  t.match(made.headers['x-request-id'], UUID)
  const again = await ctx.app.inject({ url: '/healthz' })
  t.not(again.headers['x-request-id'], made.headers['x-request-id'], 'a new id per request, not a per-process counter')

  for (const unsafe of ['a'.repeat(129), 'has space', '<script>', '"quoted"', 'a;b', '']) {
    const res = await ctx.app.inject({ url: '/healthz', headers: { 'x-request-id': unsafe } })
    t.match(res.headers['x-request-id'], UUID, `replaced: ${JSON.stringify(unsafe.slice(0, 20))}`)
  }

  const refused = await ctx.app.inject({
    url: '/v1/anomalies?limit=0',
    headers: { ...ctx.user.headers, 'x-request-id': 'bad-input-1' }
  })
  t.equal(refused.statusCode, 400)
  t.equal(refused.headers['x-request-id'], 'bad-input-1', 'errors carry it too')
})

t.test(
  'the id is on every log line of the request, in its audit rows and escalation, and sent to the control endpoint',
  async t => {
    const logs = logCapture()
    const ctx = await buildTestApp(t, { healing: fastHealing() }, { logger: { level: 'info', stream: logs.stream } })
    const sql = ownerSql(t, ctx.databaseUrl)
    const endpoint = await startControlEndpoint(t, { secret: SECRET })
    await register(ctx, 'checkout-api', endpoint.url)
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/v1/recovery-actions',
      headers: ctx.service.headers,
      payload: {
        action_type: 'restart_function',
        target_component_name: 'checkout-api',
        max_attempts: 1,
        trigger_reason: 'request id test'
      }
    })
    t.equal(created.statusCode, 201)
    const id = created.json().id as string

    endpoint.script({ status: 500, body: 'down' })
    const requestId = 'exec-5b1e0c2d'
    const executed = await ctx.app.inject({
      method: 'POST',
      url: `/v1/recovery-actions/${id}/execute`,
      headers: { ...ctx.service.headers, 'x-request-id': requestId }
    })
    t.equal(executed.statusCode, 200)
    t.equal(executed.json().execution_status, 'failed')
    t.equal(executed.headers['x-request-id'], requestId)

    t.equal(endpoint.requests.length, 1)
    t.equal(endpoint.requests[0]?.headers['x-request-id'], requestId, 'the control request carries it')

    const audit = await sql<Array<{ decision_type: string; outcome: string; request_id: string | null }>>`
    select decision_type, outcome, request_id from decision_audit_log where subject_id = ${id} order by created_at, decision_type`
    t.ok(audit.length >= 2, 'the request wrote audit rows')
    t.same(
      audit.map(row => row.request_id),
      audit.map(() => requestId),
      'every audit row of the request names it'
    )
    const escalations = await sql<
      Array<{ request_id: string | null }>
    >`select request_id from escalation_events where source_id = ${id}`
    t.same(escalations, [{ request_id: requestId }], 'the escalation it caused names it')

    const own = logs.lines().filter(line => line.includes(requestId))
    const completed = own.filter(line => line.includes('"request completed"'))
    t.equal(completed.length, 1, 'one line when the request ends')
    t.match(
      JSON.parse(completed[0] ?? '{}'),
      {
        req: { method: 'POST', url: String },
        res: { statusCode: Number },
        responseTime: Number
      },
      'with its method, url, status and time'
    )
    t.notOk(
      own.some(line => line.includes('"incoming request"')),
      'none when it arrives'
    )
    const escalated = own.find(line => line.includes('escalated to people'))
    t.ok(escalated !== undefined, "the escalation, logged by the engine's logger, carries the request id")
    const twice = (key: string): string[] => logs.lines().filter(line => line.split(`"${key}":`).length > 2)
    t.same(twice('reqId'), [], 'no line carries reqId twice')
    t.same(twice('component'), [], 'no line carries component twice (strict ingesters reject it)')

    // Work the jobs do on their own belongs to no request, even on a connection a request used.
    await anomaly(sql, { anomaly_type: 'latency_spike', severity: 'critical' })
    const report = await ctx.app.healing.runDue()
    t.equal(report.attempts.length, 1, 'the job ran the action it chose')
    t.equal(endpoint.requests.length, 2)
    t.equal(endpoint.requests[1]?.headers['x-request-id'], undefined, "a job's control request names no request")
    const byRequest = await sql<Array<{ request_id: string | null; n: number }>>`
    select request_id, count(*)::int as n from decision_audit_log group by 1 order by 1 nulls last`
    t.match(
      byRequest,
      [{ request_id: requestId }, { request_id: null, n: Number }],
      "the job's rows have none, and no other id appears"
    )
    t.equal(byRequest.length, 2)
  }
)
