// A control endpoint that never answers, while health events are ingested: the action's time
// limit holds (each attempt is recorded as TIMEOUT by the instance holding its lease, so it
// ended before the lease could lapse, and the action fails after its attempts instead of
// hanging), actions for other components are delivered while an attempt still hangs, and the
// API keeps answering (no 5xx). Real server processes, two of them, healing every second.
import t from 'tap'
import { signToken } from '../../src/services/auth/tokens.js'
import { sealedSecret, TEST_JWT_SECRET } from '../helpers/app.js'
import { HEALING_ONLY, startInstances, waitFor, type Instance } from '../helpers/cluster.js'
import { startControlEndpoint } from '../helpers/control-endpoint.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

const SECRET = 'hanging-endpoint-secret-0123456789'
const TIMEOUT_SECONDS = 3
const LONG_TIMEOUT_SECONDS = 30
// The lease is the time limit plus this grace. The outcome is written after the executor returns,
// on a pool the ingest load shares: on a loaded machine (CI) that write took over 2 s once, the
// lease lapsed first, and the attempt's outcome was rightly never written.
const GRACE_SECONDS = 10
const ATTEMPTS = 2
const RETRY_DELAY_SECONDS = 1
const OTHERS = 6

interface Outcome {
  status: number
  path: string
}

async function trafficUntil(
  instance: Instance,
  token: string,
  stop: () => boolean,
  outcomes: Outcome[],
  worker: number
): Promise<void> {
  for (let i = 0; !stop(); i++) {
    const read = i % 4 === 3
    const path = read ? '/v1/recovery-actions?limit=20' : '/v1/health-events'
    try {
      const res = await fetch(
        `${instance.address}${path}`,
        read
          ? { headers: { authorization: `Bearer ${token}` } }
          : {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                component_type: 'edge_function',
                component_name: `load-${worker}`,
                status: 'healthy',
                latency_ms: 100 + i
              })
            }
      )
      await res.arrayBuffer()
      outcomes.push({ status: res.status, path })
    } catch {
      outcomes.push({ status: 0, path })
    }
  }
}

t.test(
  'an endpoint that never answers, under ingest load: the timeout holds, other actions go on, the API answers',
  async t => {
    const { url } = await freshDatabase(t)
    const sql = ownerSql(t, url)
    const silent = await startControlEndpoint(t, { secret: SECRET })
    const healthy = await startControlEndpoint(t, { secret: SECRET })
    silent.script(...Array.from({ length: 10 }, () => 'hang' as const))
    await sql`
    insert into components (component_name, component_type, webhook_url, webhook_secret)
    values ('frozen-api', 'service', ${silent.url}, ${sealedSecret(SECRET)}), ('checkout-api', 'service', ${healthy.url}, ${sealedSecret(SECRET)})`
    const instances = await startInstances(t, url, 2, {
      ...HEALING_ONLY,
      HEAL_LEASE_GRACE_SECONDS: String(GRACE_SECONDS)
    })
    const token = await signToken(TEST_JWT_SECRET, { role: 'service_role' })
    const outcomes: Outcome[] = []
    let stopped = false
    t.teardown(() => {
      stopped = true
    })
    const load = Promise.all(
      Array.from(
        { length: 4 },
        async (_, worker) =>
          await trafficUntil(instances[worker % instances.length] as Instance, token, () => stopped, outcomes, worker)
      )
    )

    // Two actions for the silent component: one with a short time limit and a retry, to watch the
    // limit hold, and one with the default 30 s limit, long enough that everything else must go on
    // while it hangs, however slow the machine.
    const hungAction = async (timeoutSeconds: number, attempts: number): Promise<string> => {
      const [row] = await sql<Array<{ id: string }>>`
      insert into recovery_actions (action_type, target_component_name, timeout_seconds, max_attempts, retry_policy)
      values ('restart_function', 'frozen-api', ${timeoutSeconds}, ${attempts}, ${sql.json({ base_delay_seconds: RETRY_DELAY_SECONDS, jitter: 0 })})
      returning id`
      return (row as { id: string }).id
    }
    const longId = await hungAction(LONG_TIMEOUT_SECONDS, 1)
    const hungId = await hungAction(TIMEOUT_SECONDS, ATTEMPTS)
    await waitFor(() => silent.requests.length === 2, 15_000, 'both first attempts reached the silent endpoint')

    // While they hang: actions for another component, created through both instances.
    const others = await Promise.all(
      Array.from({ length: OTHERS }, async (_, i) => {
        const via = instances[i % instances.length] as Instance
        const res = await fetch(`${via.address}/v1/recovery-actions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            action_type: 'restart_function',
            target_component_name: 'checkout-api',
            trigger_reason: `while the other hangs #${i}`
          })
        })
        return ((await res.json()) as { id: string }).id
      })
    )
    await waitFor(
      async () => {
        const [row] = await sql<
          Array<{ done: number }>
        >`select count(*)::int as done from recovery_actions where id = any(${others}::uuid[]) and execution_status = 'succeeded'`
        return row?.done === others.length
      },
      20_000,
      'every other action succeeded'
    )
    const [long] = await sql<
      Array<{ execution_status: string; attempt_number: number }>
    >`select execution_status, attempt_number from recovery_actions where id = ${longId}`
    t.same(
      long,
      { execution_status: 'running', attempt_number: 1 },
      `all ${OTHERS} other actions succeeded while a ${LONG_TIMEOUT_SECONDS} s attempt still hung`
    )

    const final = await waitFor(
      async () => {
        const [row] = await sql<
          Array<{ execution_status: string; execution_error_code: string | null; attempt_number: number }>
        >`
      select execution_status, execution_error_code, attempt_number from recovery_actions where id = ${hungId}`
        return row?.execution_status === 'failed' ? row : undefined
      },
      30_000,
      'the short-limit action failed for good'
    )
    stopped = true
    await load

    t.same(
      final,
      { execution_status: 'failed', execution_error_code: 'TIMEOUT', attempt_number: ATTEMPTS },
      `failed with TIMEOUT after ${ATTEMPTS} attempts, not LEASE_EXPIRED`
    )
    const attempts = await sql<
      Array<{ outcome: string; error_code: string; next_retry_at: string | null; duration_ms: number }>
    >`
    select outcome, decision ->> 'error_code' as error_code, decision ->> 'next_retry_at' as next_retry_at, duration_ms::float8 as duration_ms
    from decision_audit_log where subject_id = ${hungId} and decision_type = 'attempt' order by created_at`
    t.same(
      attempts.map(row => [row.outcome, row.error_code]),
      [
        ['retry_scheduled', 'TIMEOUT'],
        ['failed', 'TIMEOUT']
      ],
      "each attempt's outcome was written by the instance holding its lease: it ended at its time limit, before the lease could lapse"
    )
    // The outcome can only be written while the lease (timeout + grace) is held, so the executor's
    // own time lies between the time limit and the lease: that is the tolerance, not a guess.
    t.ok(
      attempts.every(
        row =>
          row.duration_ms >= TIMEOUT_SECONDS * 1000 - 50 && row.duration_ms < (TIMEOUT_SECONDS + GRACE_SECONDS) * 1000
      ),
      `attempts took ${attempts.map(row => Math.round(row.duration_ms)).join(' and ')} ms against a ${TIMEOUT_SECONDS} s limit and a ${TIMEOUT_SECONDS + GRACE_SECONDS} s lease`
    )
    t.same(
      silent.requests.filter(request => request.idempotencyKey === hungId).map(request => request.attempt),
      [1, 2],
      'the silent endpoint saw each attempt once'
    )
    const [retried] = await sql<
      Array<{ last_attempt_at: Date }>
    >`select last_attempt_at from recovery_actions where id = ${hungId}`
    t.ok(
      (retried?.last_attempt_at.getTime() ?? 0) >= new Date(attempts[0]?.next_retry_at ?? 0).getTime(),
      'the retry started no earlier than its backoff allowed'
    )

    const deliveries = healthy.requests.map(request => request.idempotencyKey)
    t.equal(new Set(deliveries).size, deliveries.length, 'no other action delivered twice')
    t.same(new Set(deliveries), new Set(others), 'every other action delivered')
    const [latency] = await sql<Array<{ median_ms: number; max_ms: number }>>`
    select (percentile_cont(0.5) within group (order by ms))::int as median_ms, max(ms)::int as max_ms
    from (select extract(epoch from execution_completed_at - created_at) * 1000 as ms from recovery_actions where id = any(${others}::uuid[])) d`
    t.comment(
      `other actions: ${latency?.median_ms ?? '-'} ms median, ${latency?.max_ms ?? '-'} ms max from creation to done`
    )

    const failures = outcomes.filter(outcome => outcome.status !== 200 && outcome.status !== 201)
    t.same(failures.slice(0, 5), [], `${outcomes.length} API requests under load, every one answered 200 or 201`)
    t.ok(outcomes.length > 20, 'the load ran throughout')
  }
)
