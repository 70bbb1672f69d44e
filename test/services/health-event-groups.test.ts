// The group commit of single health events against real PostgreSQL: events of one identity
// sent together share one transaction (one xmin), each stored once and answered with its own
// row; two organizations' callers interleaved each get their own; a refused event fails alone;
// the group is judged as its caller; and through the app, an Idempotency-Key still replays and
// a drain answers every request in flight with its event stored.
import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { createSql } from '../../src/db/client.js'
import type { Caller } from '../../src/db/caller.js'
import { createDb } from '../../src/db/port.js'
import type { HealthEventInputBody, HealthEventRow } from '../../src/schemas/health-events.js'
import { healthEventGroups, type GroupOptions, type StoreHealthEvent } from '../../src/services/health-event-groups.js'
import { buildTestApp } from '../helpers/app.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'
import { validatedEvent } from '../db/fixtures.js'

const event = (organizationId: string, overrides: Partial<HealthEventInputBody> = {}): HealthEventInputBody =>
  validatedEvent({ organization_id: organizationId, ...overrides })

/** A service caller whose token names an organization: one identity per organization. */
const serviceOf = (organizationId: string): Caller => ({
  role: 'service_role',
  claims: { role: 'service_role', sub: null, app_metadata: { organization_id: organizationId } }
})

async function setup(t: Test, options: GroupOptions = {}) {
  const { url } = await freshDatabase(t)
  const sql = createSql(url, { timeoutMs: 5000 })
  t.teardown(async () => {
    await sql.end({ timeout: 1 })
  })
  return { store: healthEventGroups(createDb(sql, { requestTimeoutMs: 5000 }), options), owner: ownerSql(t, url) }
}

interface Stored {
  id: string
  organization_id: string
  component_name: string
  xmin: string
}

/** Sends every event in the same turn, as concurrent requests arriving together. */
async function sendTogether(
  store: StoreHealthEvent,
  sends: Array<[Caller, HealthEventInputBody]>
): Promise<Array<PromiseSettledResult<HealthEventRow>>> {
  return await Promise.allSettled(sends.map(async ([caller, one]) => await store(caller, one)))
}

t.test(
  'one identity sent together shares one transaction; two organizations interleaved each get their own',
  async t => {
    const { store, owner } = await setup(t)
    const [a, b] = [randomUUID(), randomUUID()]
    const sends: Array<[Caller, HealthEventInputBody]> = [a, b, a, b, a, b].map(org => [serviceOf(org), event(org)])
    const results = await sendTogether(store, sends)

    const names = sends.map(([, one]) => one.component_name)
    const rows = await owner<Stored[]>`
    select id, organization_id, component_name, xmin::text as xmin from system_health_events
    where component_name in ${owner(names)}`
    t.equal(rows.length, sends.length, 'each event stored once')
    const byName = new Map(rows.map(row => [row.component_name, row]))
    sends.forEach(([, one], index) => {
      const result = results[index]
      const row = byName.get(one.component_name)
      t.equal(result?.status, 'fulfilled', `request ${index} answered`)
      if (result?.status !== 'fulfilled' || row === undefined) return
      t.equal(result.value.id, row.id, `request ${index} gets its own row`)
      t.equal(result.value.component_name, one.component_name)
      t.equal(row.organization_id, one.organization_id, `request ${index} stored under its own organization`)
    })
    const transactions = (org: string) => new Set(rows.filter(row => row.organization_id === org).map(row => row.xmin))
    t.equal(transactions(a).size, 1, "the first organization's three events: one transaction")
    t.equal(transactions(b).size, 1, "the second's: one transaction")
    t.not([...transactions(a)][0], [...transactions(b)][0], 'never one transaction for two identities')
  }
)

/** Statements storing health events that wait on a lock now. */
async function waitingAtLock(owner: ReturnType<typeof ownerSql>): Promise<number> {
  const [{ waiting }] = await owner<[{ waiting: number }]>`
    select count(*)::int as waiting from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock' and query like '%core314.insert_health_event%'`
  return waiting
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise(resolve => setTimeout(resolve, 20))
}

t.test('while a statement is in flight, requests of later turns wait for it and share the next one', async t => {
  const { store, owner } = await setup(t, { maxInFlight: 1, maxHoldMs: 60_000 })
  const org = randomUUID()
  const caller = serviceOf(org)
  const [first, second, third] = [event(org), event(org), event(org)]
  let answers: Array<Promise<HealthEventRow>> = []
  await owner.begin(async tx => {
    await tx`lock table system_health_events in share mode`
    answers = [store(caller, first)]
    await until(async () => (await waitingAtLock(owner)) === 1)
    // Two more requests, each in a turn of its own, while the first is held at the lock.
    answers.push(store(caller, second))
    await new Promise(resolve => setTimeout(resolve, 30))
    answers.push(store(caller, third))
    await new Promise(resolve => setTimeout(resolve, 30))
    t.equal(await waitingAtLock(owner), 1, 'they are not sent while the first is in flight')
  })
  const rows = await Promise.all(answers)
  const stored = await owner<Stored[]>`
    select id, organization_id, component_name, xmin::text as xmin from system_health_events
    where id in ${owner(rows.map(row => row.id))}`
  const xmin = new Map(stored.map(row => [row.component_name, row.xmin]))
  t.equal(stored.length, 3, 'each stored once')
  t.equal(xmin.get(second.component_name), xmin.get(third.component_name), 'the two waiting share one transaction')
  t.not(xmin.get(first.component_name), xmin.get(second.component_name), 'not the first one')
})

t.test('a group waits for a slow statement no longer than maxHoldMs', async t => {
  const { store, owner } = await setup(t, { maxInFlight: 1, maxHoldMs: 50 })
  const org = randomUUID()
  const caller = serviceOf(org)
  let answers: Array<Promise<HealthEventRow>> = []
  await owner.begin(async tx => {
    await tx`lock table system_health_events in share mode`
    answers = [store(caller, event(org))]
    await until(async () => (await waitingAtLock(owner)) === 1)
    answers.push(store(caller, event(org)))
    await until(async () => (await waitingAtLock(owner)) === 2)
    t.pass('the held group went to the database while the first statement was still held')
  })
  t.equal((await Promise.all(answers)).length, 2, 'both stored')
})

/**
 * `callers` closed loops, each sending its next event a few milliseconds after its previous one
 * is answered (its own round trip, longer for each caller), so they come back in turns of their own.
 */
async function closedLoops(store: StoreHealthEvent, caller: Caller, org: string, callers: number, rounds: number) {
  const loop = async (_: unknown, index: number) => {
    const rows: HealthEventRow[] = []
    for (let round = 0; round < rounds; round += 1) {
      rows.push(await store(caller, event(org)))
      await new Promise(resolve => setTimeout(resolve, 2 + 3 * index))
    }
    return rows
  }
  return (await Promise.all(Array.from({ length: callers }, loop))).flat()
}

async function transactionsOf(owner: ReturnType<typeof ownerSql>, org: string): Promise<number> {
  const [row] = await owner<Array<{ transactions: number }>>`
    select count(distinct xmin::text)::int as transactions from system_health_events where organization_id = ${org}`
  return row?.transactions ?? 0
}

t.test("callers just answered are waited for, so an identity's steady callers share each commit", async t => {
  const { store, owner } = await setup(t, { commitWaitMs: 60_000 })
  const org = randomUUID()
  const rows = await closedLoops(store, serviceOf(org), org, 4, 10)
  t.equal(new Set(rows.map(row => row.id)).size, 40, 'every event answered with its own row')
  // Without the wait, a caller answered first goes alone while the other three wait for it:
  // about two transactions a round.
  t.ok((await transactionsOf(owner, org)) <= 12, 'about one transaction a round of four')
})

t.test('a lone caller is never held for others', async t => {
  // With a wait that long, a held request would outlast the test's timeout.
  const { store, owner } = await setup(t, { commitWaitMs: 600_000 })
  const org = randomUUID()
  const rows = await closedLoops(store, serviceOf(org), org, 1, 5)
  t.equal(rows.length, 5)
  t.equal(await transactionsOf(owner, org), 5)
})

t.test('when a caller stops, the others wait for it at most commitWaitMs, once', async t => {
  const { store, owner } = await setup(t, { commitWaitMs: 100 })
  const org = randomUUID()
  const caller = serviceOf(org)
  await closedLoops(store, caller, org, 2, 3)
  // Held for its former companion once, then known to be alone: were it held for good, this
  // would not return.
  const rows = await closedLoops(store, caller, org, 1, 3)
  const [row] = await owner<Array<{ transactions: number }>>`
    select count(distinct xmin::text)::int as transactions from system_health_events
    where id in ${owner(rows.map(one => one.id))}`
  t.equal(row?.transactions, 3, 'the remaining caller is answered, one transaction each')
})

t.test('an event the database refuses fails alone; the others are stored once each', async t => {
  const { store, owner } = await setup(t)
  const org = randomUUID()
  const caller = serviceOf(org)
  // Validation would stop it; the database's own check is what is tested here.
  const bad = event(org, { cpu_usage_percent: 150 })
  const sends: Array<[Caller, HealthEventInputBody]> = [event(org), event(org), bad, event(org)].map(one => [
    caller,
    one
  ])
  const results = await sendTogether(store, sends)

  sends.forEach(([, one], index) => {
    const result = results[index]
    if (one === bad) {
      t.equal(result?.status, 'rejected', 'the refused event fails')
      t.equal(
        result?.status === 'rejected' ? (result.reason as { code?: string }).code : undefined,
        '23514',
        'with the check it broke, as alone'
      )
    } else t.equal(result?.status, 'fulfilled', `request ${index} stored`)
  })
  const counts = await owner<Array<{ component_name: string; n: number }>>`
    select component_name, count(*)::int as n from system_health_events
    where component_name in ${owner(sends.map(([, one]) => one.component_name))} group by component_name`
  t.same(
    Object.fromEntries(counts.map(row => [row.component_name, row.n])),
    Object.fromEntries(sends.filter(([, one]) => one !== bad).map(([, one]) => [one.component_name, 1])),
    'the three valid events once each, the refused one not at all'
  )
})

t.test('a group is judged as its caller: a user may not insert, the service beside it may', async t => {
  const { store, owner } = await setup(t)
  const org = randomUUID()
  const user: Caller = { role: 'authenticated', claims: { sub: randomUUID(), role: 'authenticated' } }
  const sends: Array<[Caller, HealthEventInputBody]> = [
    [user, event(org)],
    [serviceOf(org), event(org)],
    [user, event(org)]
  ]
  const results = await sendTogether(store, sends)
  t.same(
    results.map(result => (result.status === 'rejected' ? (result.reason as { code?: string }).code : 'stored')),
    ['42501', 'stored', '42501']
  )
  const [row] = await owner<[{ n: number }]>`
    select count(*)::int as n from system_health_events
    where component_name in ${owner(sends.map(([, one]) => one.component_name))}`
  t.equal(row.n, 1, "only the service's event")
})

t.test(
  'through the app: concurrent POSTs each stored once, a key still replays, a drain answers every one in flight',
  async t => {
    const ctx = await buildTestApp(t)
    const owner = ownerSql(t, ctx.databaseUrl)
    const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    const post = async (body: HealthEventInputBody, headers: Record<string, string> = {}) =>
      await fetch(`${address}/v1/health-events`, {
        method: 'POST',
        headers: { ...ctx.service.headers, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body)
      })
    const org = ctx.user.organizationId
    const key = randomUUID()
    const keyed = event(org)
    const first = await Promise.all([post(keyed, { 'idempotency-key': key }), ...[1, 2, 3].map(() => post(event(org)))])
    t.same(
      first.map(response => response.status),
      [201, 201, 201, 201]
    )
    const original = (await first[0]?.json()) as HealthEventRow
    const replay = await post(keyed, { 'idempotency-key': key })
    t.equal(replay.status, 201)
    t.equal(replay.headers.get('idempotent-replayed'), 'true', 'the key replays')
    t.equal(((await replay.json()) as HealthEventRow).id, original.id, 'with the first answer')
    const [once] = await owner<[{ n: number }]>`
    select count(*)::int as n from system_health_events where component_name = ${keyed.component_name}`
    t.equal(once.n, 1, 'the keyed event stored once')
    const [others] = await owner<[{ n: number; names: number }]>`
    select count(*)::int as n, count(distinct component_name)::int as names from system_health_events
    where organization_id = ${org} and component_name <> ${keyed.component_name}`
    t.same(others, { n: 3, names: 3 }, 'the three without a key once each')

    // Hold every insert on a lock, so requests are in flight at the database when the drain starts.
    const held = event(org).component_name
    const sent = Array.from({ length: 8 }, (_, index) => event(org, { component_name: `${held}-${index}` }))
    let answers: Array<Promise<number | 'refused'>> = []
    await owner.begin(async tx => {
      await tx`lock table system_health_events in share mode`
      answers = sent.map(
        async one =>
          await post(one).then(
            response => response.status,
            () => 'refused' as const
          )
      )
      for (let waiting = 0; waiting === 0;) {
        await new Promise(resolve => setTimeout(resolve, 20))
        ;[{ waiting }] = await owner<[{ waiting: number }]>`
        select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '%core314.insert_health_event%'`
      }
      void ctx.app.close()
    })
    // Requests that reached the service before the drain are answered once stored; later ones are
    // refused (503, or no connection) and store nothing.
    const statuses = await Promise.all(answers)
    t.ok(statuses.includes(201), 'the requests held at the database were answered')
    t.same(
      statuses.filter(status => status !== 201 && status !== 503 && status !== 'refused'),
      [],
      'no other answer'
    )
    const stored = await owner<Array<{ component_name: string }>>`
    select component_name from system_health_events where component_name like ${`${held}-%`}`
    t.same(
      stored.map(row => row.component_name).sort(),
      sent
        .filter((_, index) => statuses[index] === 201)
        .map(one => one.component_name)
        .sort(),
      'exactly the acknowledged events stored, each once'
    )
  }
)
