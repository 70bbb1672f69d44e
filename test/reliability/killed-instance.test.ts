// An instance lost in the middle of an action, with real processes: three servers run the heal
// job every second. The one that claims an action while the control endpoint holds its request
// is SIGKILLed; later the one that claims a second action is frozen with SIGSTOP. Each time
// another instance takes the action over once the lease has lapsed, never before; the action
// completes once; and what the lost instance sent or does later (the receiver finally acting on
// its held request, the frozen process waking up) completes nothing a second time.
import t from 'tap'
import type { Sql } from '../../src/db/client.js'
import { sealedSecret } from '../helpers/app.js'
import { HEALING_ONLY, startInstances, waitFor, type Instance } from '../helpers/cluster.js'
import { startControlEndpoint, type ControlEndpoint } from '../helpers/control-endpoint.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

const SECRET = 'killed-instance-secret-0123456789'
const TIMEOUT_SECONDS = 3
const GRACE_SECONDS = 1

interface ActionState {
  execution_status: string
  attempt_number: number
  lease_owner: string | null
  lease_expires_at: Date | null
  last_attempt_at: Date | null
  execution_error_code: string | null
  success: boolean | null
}

async function state(sql: Sql, id: string): Promise<ActionState> {
  const [row] = await sql<ActionState[]>`
    select execution_status, attempt_number, lease_owner, lease_expires_at, last_attempt_at, execution_error_code, success
    from recovery_actions where id = ${id}`
  return row as ActionState
}

const pidOf = (owner: string | null): string | undefined => owner?.split(':')[1]

/** Queues an action whose first delivery the endpoint holds; resolves once it is held, with the instance holding it. */
async function heldAction(
  sql: Sql,
  endpoint: ControlEndpoint,
  instances: Instance[]
): Promise<{ id: string; claimed: ActionState; holder: Instance }> {
  const arrived = endpoint.requests.length
  endpoint.script('hang')
  const [inserted] = await sql<Array<{ id: string }>>`
    insert into recovery_actions (action_type, target_component_name, timeout_seconds, retry_policy)
    values ('restart_function', 'checkout-api', ${TIMEOUT_SECONDS}, '{"base_delay_seconds": 0, "jitter": 0}')
    returning id`
  const id = (inserted as { id: string }).id
  await waitFor(() => endpoint.requests.length === arrived + 1, 15_000, 'the first delivery arrived')
  const claimed = await state(sql, id)
  const holder = instances.find(instance => pidOf(claimed.lease_owner) === String(instance.pid))
  if (holder === undefined) throw new Error(`no instance holds the lease: ${String(claimed.lease_owner)}`)
  return { id, claimed, holder }
}

async function succeeded(sql: Sql, id: string): Promise<ActionState> {
  return await waitFor(
    async () => {
      const row = await state(sql, id)
      return row.execution_status === 'succeeded' ? row : undefined
    },
    20_000,
    `action ${id} succeeded`
  )
}

/** Who wrote an attempt's outcome (the pid in the lease owner) and what it was. */
async function attemptsAudited(sql: Sql, id: string): Promise<Array<[string | undefined, string]>> {
  const rows = await sql<Array<{ actor: string; outcome: string }>>`
    select actor, outcome from decision_audit_log where subject_id = ${id} and decision_type = 'attempt' order by created_at`
  return rows.map(row => [pidOf(row.actor), row.outcome])
}

t.test(
  'an instance killed, then one frozen, mid-action: another takes over after the lease, each action completes once',
  async t => {
    const { url } = await freshDatabase(t)
    const sql = ownerSql(t, url)
    const endpoint = await startControlEndpoint(t, { secret: SECRET })
    await sql`insert into components (component_name, component_type, webhook_url, webhook_secret) values ('checkout-api', 'service', ${endpoint.url}, ${sealedSecret(SECRET)})`
    const instances = await startInstances(t, url, 3, {
      ...HEALING_ONLY,
      HEAL_LEASE_GRACE_SECONDS: String(GRACE_SECONDS)
    })

    t.test(
      "SIGKILL: taken over after the lease; the killed instance's late delivery is not acted on twice",
      async t => {
        const { id, claimed, holder } = await heldAction(sql, endpoint, instances)
        t.match(
          claimed,
          { execution_status: 'running', attempt_number: 1 },
          `instance ${holder.name} claimed it and its delivery is held`
        )
        holder.server.child.kill('SIGKILL')
        await holder.server.exit
        t.equal(holder.server.child.signalCode, 'SIGKILL', 'the holder was killed')

        const done = await succeeded(sql, id)
        t.match(
          done,
          { success: true, attempt_number: 2, lease_owner: null, execution_error_code: 'LEASE_EXPIRED' },
          'the lapsed lease is on record as the first, lost attempt'
        )
        const after = (done.last_attempt_at as Date).getTime() - (claimed.lease_expires_at as Date).getTime()
        t.ok(
          after >= 0,
          `taken over ${after} ms after the ${TIMEOUT_SECONDS + GRACE_SECONDS} s lease lapsed, not before`
        )
        const deliveries = endpoint.requests.filter(request => request.idempotencyKey === id)
        t.same(
          deliveries.map(request => request.attempt),
          [1, 2],
          'one delivery per attempt, the action id as Idempotency-Key on both'
        )
        const audited = await attemptsAudited(sql, id)
        t.same(
          audited.map(([, outcome]) => outcome),
          ['succeeded'],
          'one attempt outcome written'
        )
        t.not(audited[0]?.[0], String(holder.pid), 'by a survivor')

        // The receiver finally acts on the request the killed instance sent: the same bytes, the same key.
        const held = deliveries[0]
        const late = await fetch(endpoint.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': id,
            'x-core314-attempt': String(held?.attempt),
            'webhook-id': String(held?.headers['webhook-id']),
            'webhook-timestamp': String(held?.headers['webhook-timestamp']),
            'webhook-signature': String(held?.headers['webhook-signature'])
          },
          body: held?.rawBody.toString('utf8')
        })
        t.equal(late.status, 200)
        t.equal(endpoint.requests.at(-1)?.replayed, true, 'the late delivery is recognised as a repeat')
        t.same(
          endpoint.effects.filter(key => key === id),
          [id],
          'the endpoint acted once'
        )
        t.match(await state(sql, id), { execution_status: 'succeeded', attempt_number: 2 }, 'the action is unchanged')
      }
    )

    t.test('SIGSTOP: taken over after the lease; woken, the frozen instance writes nothing', async t => {
      const alive = instances.filter(instance => instance.server.child.signalCode === null)
      const { id, claimed, holder } = await heldAction(sql, endpoint, alive)
      t.match(
        claimed,
        { execution_status: 'running', attempt_number: 1 },
        `instance ${holder.name} claimed it and its delivery is held`
      )
      holder.server.child.kill('SIGSTOP')
      t.teardown(() => {
        holder.server.child.kill('SIGCONT')
      })

      const done = await succeeded(sql, id)
      t.match(done, { attempt_number: 2, lease_owner: null }, 'taken over while its holder was frozen')
      t.ok(
        (done.last_attempt_at as Date).getTime() >= (claimed.lease_expires_at as Date).getTime(),
        'after the lease lapsed'
      )

      // Woken, the frozen instance finds its time limit passed and its lease gone.
      holder.server.child.kill('SIGCONT')
      await waitFor(
        async () => (await fetch(`${holder.address}/healthz`)).status === 200,
        10_000,
        'the woken instance answers'
      )
      await new Promise(resolve => setTimeout(resolve, 1500))
      t.same(await state(sql, id), done, 'the action is as the instance that took it over left it')
      t.same(
        endpoint.effects.filter(key => key === id),
        [id],
        'the endpoint acted once'
      )
      const audited = await attemptsAudited(sql, id)
      t.same(
        audited.map(([, outcome]) => outcome),
        ['succeeded'],
        'one attempt outcome written'
      )
      t.not(audited[0]?.[0], String(holder.pid), 'and not by the instance that was frozen')
    })
  }
)
