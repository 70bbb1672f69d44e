// recovery_actions: constraints, the approval rules, the execution state machine, the
// references it holds, and the four recovery helper functions on known rows.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { ADMIN, OTHER_USER, USER, as, database, failure, minutesAgo, type Db } from './fixtures.js'

interface Action {
  id: string
  execution_status: string
  approval_status: string
  approved_by: string | null
  approved_at: Date | null
  attempt_number: number
  execution_started_at: Date | null
  execution_completed_at: Date | null
  execution_duration_ms: number | null
  last_attempt_at: Date | null
  next_retry_at: Date | null
  success: boolean | null
  lease_owner: string | null
  lease_expires_at: Date | null
  execution_result: unknown
  execution_error: string | null
  execution_error_code: string | null
  rollback_completed_at: Date | null
  now: Date
}

async function action(sql: Db, fields: Record<string, unknown> = {}): Promise<string> {
  const row = { action_type: 'clear_cache', target_component_name: 'checkout', user_id: USER, ...fields }
  const [inserted] = await sql<Array<{ id: string }>>`insert into recovery_actions ${sql(row)} returning id`
  return inserted!.id
}

/** Arranges an action in a given status with the approval state that status implies. */
async function actionIn(sql: Db, status: string, fields: Record<string, unknown> = {}): Promise<string> {
  const approval = { pending_approval: 'pending', approved: 'approved', rejected: 'rejected' }[status]
  return await action(sql, {
    execution_status: status,
    requires_approval: approval !== undefined,
    approval_status: approval ?? 'not_required',
    ...fields
  })
}

t.test('constraints refuse values outside the contract', async t => {
  const sql = await database(t)
  const bad: Array<[string, Record<string, unknown>]> = [
    ['an action type that is not a snake_case word', { action_type: 'Clear Cache!' }],
    ['an unknown trigger type', { trigger_type: 'whim' }],
    ['an unknown execution status', { execution_status: 'done' }],
    ['an effectiveness score over 100', { recovery_effectiveness_score: 101 }],
    ['a zero timeout', { timeout_seconds: 0 }],
    ['no attempts allowed', { max_attempts: 0 }],
    ['a lease without an expiry', { lease_owner: 'instance-a' }],
    ['a retry policy factor below 1', { retry_policy: { factor: 0.5 } }],
    ['a retry policy jitter above 1', { retry_policy: { jitter: 2 } }],
    ['a retry policy delay that is not a number', { retry_policy: { base_delay_seconds: 'soon' } }],
    ['a retry policy that is not an object', { retry_policy: [1, 2] }],
    ['an action needing approval stored as running', { requires_approval: true, execution_status: 'running' }],
    ['approved without approval', { execution_status: 'approved' }]
  ]
  for (const [name, fields] of bad) {
    const error = await failure(as(sql, 'service', async tx => await action(tx, fields)))
    t.equal(error?.code, '23514', `${name}: check violation`)
  }
  await as(
    sql,
    'service',
    async tx =>
      await action(tx, {
        retry_policy: { base_delay_seconds: 0, factor: 1, max_delay_seconds: 0, jitter: 1, note: 'extra keys are kept' }
      })
  )
  t.pass('bounds of the retry policy are accepted')
})

t.test('references', async t => {
  const sql = await database(t)
  const [event] = await sql<
    Array<{ id: string }>
  >`insert into system_health_events (component_type, component_name, status) values ('api', 'checkout', 'critical') returning id`
  await as(sql, 'service', async tx => await action(tx, { triggered_by_health_event_id: event!.id }))
  t.pass('an existing health event may be named')
  const missing = await failure(
    as(sql, 'service', async tx => await action(tx, { triggered_by_health_event_id: randomUUID() }))
  )
  t.equal(missing?.code, '23503', 'a health event that does not exist is a foreign key violation')
  const changed = await failure(
    as(
      sql,
      'service',
      async tx =>
        await tx`update recovery_actions set triggered_by_health_event_id = ${randomUUID()} where id = ${await action(sql)}`
    )
  )
  t.equal(changed?.code, '23503', 'also when changed later')
  const noAnomaly = await failure(
    as(sql, 'service', async tx => await action(tx, { triggered_by_anomaly_id: randomUUID() }))
  )
  t.equal(noAnomaly?.code, '23503', 'an anomaly that does not exist')

  const [anomaly] = await sql<
    Array<{ id: string }>
  >`insert into anomaly_signals (anomaly_type, severity, source_type) values ('latency_spike', 'critical', 'health_event') returning id`
  const automatic = await action(sql, { triggered_by_anomaly_id: anomaly!.id, trigger_type: 'automatic' })
  const second = await failure(
    as(
      sql,
      'service',
      async tx => await action(tx, { triggered_by_anomaly_id: anomaly!.id, trigger_type: 'automatic' })
    )
  )
  t.equal(second?.code, '23505', 'no anomaly gets two automatic actions')
  await as(sql, 'admin', async tx => await action(tx, { triggered_by_anomaly_id: anomaly!.id, trigger_type: 'manual' }))
  t.pass('a manual action for the same anomaly is fine')

  await as(
    sql,
    'service',
    async tx =>
      await tx`update anomaly_signals set triggered_recovery_action_id = ${automatic} where id = ${anomaly!.id}`
  )
  const dangling = await failure(
    as(
      sql,
      'service',
      async tx =>
        await tx`update anomaly_signals set triggered_recovery_action_id = ${randomUUID()} where id = ${anomaly!.id}`
    )
  )
  t.equal(dangling?.code, '23503', 'an anomaly points at an existing action only')

  const rollback = await action(sql, { trigger_type: 'rollback' })
  const original = await actionIn(sql, 'succeeded', { rollback_action_id: rollback })
  await sql`delete from recovery_actions where id = ${rollback}`
  const [row] = await sql<
    Array<{ rollback_action_id: string | null }>
  >`select rollback_action_id from recovery_actions where id = ${original}`
  t.equal(row?.rollback_action_id, null, 'deleting a rollback action clears the reference')
})

t.test('approval', async t => {
  const sql = await database(t)

  t.test('insert derives the approval state', async t => {
    const [needs] = await sql<
      Action[]
    >`select * from recovery_actions where id = ${await action(sql, { requires_approval: true })}`
    t.same([needs?.execution_status, needs?.approval_status], ['pending_approval', 'pending'])
    const [free] = await sql<Action[]>`select * from recovery_actions where id = ${await action(sql)}`
    t.same([free?.execution_status, free?.approval_status], ['pending', 'not_required'])
    const [dry] = await sql<
      Action[]
    >`select * from recovery_actions where id = ${await action(sql, { requires_approval: true, execution_status: 'dry_run' })}`
    t.same(
      [dry?.execution_status, dry?.approval_status],
      ['dry_run', 'pending'],
      'a dry run needs no approval to be recorded'
    )
  })

  t.test('an admin approves; the database records the admin and the time', async t => {
    const id = await action(sql, { requires_approval: true })
    const [approved] = await as(
      sql,
      'admin',
      async tx =>
        await tx<Action[]>`
      update recovery_actions set execution_status = 'approved', approval_status = 'approved', approved_by = ${OTHER_USER}, approval_notes = 'go'
      where id = ${id} returning *, now() as now`
    )
    t.equal(approved?.approved_by, ADMIN, 'not whoever the statement named')
    t.equal(approved?.approved_at?.getTime(), approved?.now.getTime())
    const undo = await failure(
      as(
        sql,
        'admin',
        async tx =>
          await tx`update recovery_actions set execution_status = 'rejected', approval_status = 'rejected' where id = ${id}`
      )
    )
    t.equal(undo?.code, 'C3409', 'an approved action cannot be rejected')
    const user = await as(
      sql,
      'user',
      async tx => await tx`update recovery_actions set execution_status = 'cancelled' where id = ${id}`
    )
    t.equal(user.count, 0, 'its owner, not an admin, cannot cancel it')
  })

  t.test('rejection, expiry, and no running without approval', async t => {
    const rejected = await action(sql, { requires_approval: true })
    const [row] = await as(
      sql,
      'admin',
      async tx =>
        await tx<Action[]>`
      update recovery_actions set execution_status = 'rejected', approval_status = 'rejected' where id = ${rejected} returning *`
    )
    t.same([row?.execution_status, row?.approved_by], ['rejected', ADMIN])
    const expired = await action(sql, { requires_approval: true })
    await as(
      sql,
      'service',
      async tx =>
        await tx`update recovery_actions set execution_status = 'cancelled', approval_status = 'expired' where id = ${expired}`
    )
    t.pass('the service role expires an approval by cancelling the action')
    const waiting = await action(sql, { requires_approval: true })
    const run = await failure(
      as(sql, 'service', async tx => await tx`select * from execute_recovery_action(${waiting}, 'running')`)
    )
    t.equal(run?.code, 'C3409', 'an action waiting for approval cannot run')
    const sneak = await failure(
      as(
        sql,
        'service',
        async tx => await tx`update recovery_actions set approval_status = 'approved' where id = ${waiting}`
      )
    )
    t.equal(sneak?.code, '23514', 'approval and status move together')
    const revert = await failure(
      as(
        sql,
        'service',
        async tx =>
          await tx`update recovery_actions set requires_approval = false, approval_status = 'not_required' where id = ${waiting}`
      )
    )
    t.equal(revert?.code, 'C3409', 'the requirement cannot be lifted once set')
  })
})

t.test('the execution state machine', async t => {
  const sql = await database(t)
  const statuses = [
    'pending',
    'pending_approval',
    'approved',
    'rejected',
    'running',
    'succeeded',
    'failed',
    'retry_scheduled',
    'cancelled',
    'dry_run',
    'rolled_back'
  ]
  const allowed = new Set([
    'pending>running',
    'pending>dry_run',
    'pending>cancelled',
    'pending>failed',
    'pending_approval>approved',
    'pending_approval>rejected',
    'pending_approval>cancelled',
    'approved>running',
    'approved>dry_run',
    'approved>cancelled',
    'approved>failed',
    'running>succeeded',
    'running>failed',
    'running>retry_scheduled',
    'running>cancelled',
    'running>dry_run',
    'retry_scheduled>running',
    'retry_scheduled>cancelled',
    'retry_scheduled>failed',
    'succeeded>rolled_back',
    'failed>rolled_back',
    'failed>retry_scheduled'
  ])
  for (const from of statuses) {
    for (const to of statuses) {
      if (from === to) continue
      const id = await actionIn(sql, from)
      const approval = { approved: 'approved', rejected: 'rejected' }[to]
      const error = await failure(
        as(
          sql,
          'service',
          async tx =>
            await tx`
        update recovery_actions set execution_status = ${to}, approval_status = coalesce(${approval ?? null}, approval_status) where id = ${id}`
        )
      )
      const ok = allowed.has(`${from}>${to}`)
      t.equal(error?.code, ok ? undefined : 'C3409', `${from} -> ${to} ${ok ? 'allowed' : 'refused'}`)
    }
  }
})

t.test('execute_recovery_action records each step', async t => {
  const sql = await database(t)
  const id = await action(sql, { lease_owner: 'instance-a', lease_expires_at: new Date(Date.now() + 60_000) })
  const [running] = await as(
    sql,
    'service',
    async tx => await tx<Action[]>`select a.*, now() as now from execute_recovery_action(${id}) a`
  )
  t.same(
    [running?.execution_status, running?.attempt_number, running?.lease_owner],
    ['running', 1, 'instance-a'],
    'running starts attempt 1 and keeps the lease'
  )
  t.equal(running?.execution_started_at?.getTime(), running?.now.getTime())
  t.equal(running?.last_attempt_at?.getTime(), running?.now.getTime())

  await sql`update recovery_actions set execution_started_at = now() - interval '1.5 seconds' where id = ${id}`
  const [done] = await as(
    sql,
    'service',
    async tx =>
      await tx<Action[]>`
    select a.*, now() as now from execute_recovery_action(${id}, 'succeeded', '{"keys_deleted": 42}', 'deleted 42 keys') a`
  )
  t.equal(done?.execution_status, 'succeeded')
  t.equal(done?.success, true)
  t.same(done?.execution_result, { keys_deleted: 42 })
  t.equal(done?.execution_completed_at?.getTime(), done?.now.getTime())
  t.ok(
    Math.abs(done!.execution_duration_ms! - 1500) < 1000,
    `duration from the start (${done?.execution_duration_ms} ms)`
  )
  t.same([done?.lease_owner, done?.lease_expires_at], [null, null], 'finishing releases the lease')
  const again = await failure(
    as(sql, 'service', async tx => await tx`select * from execute_recovery_action(${id}, 'running')`)
  )
  t.equal(again?.code, 'C3409', 'a succeeded action does not run again')
  const [rolledBack] = await as(
    sql,
    'admin',
    async tx => await tx<Action[]>`select * from execute_recovery_action(${id}, 'rolled_back')`
  )
  t.ok(rolledBack?.rollback_completed_at, 'an admin rolls it back')

  const failed = await actionIn(sql, 'running', { attempt_number: 1 })
  const [failure1] = await as(
    sql,
    'service',
    async tx =>
      await tx<Action[]>`
    select * from execute_recovery_action(${failed}, 'failed', null, null, 'no target registered', 'NO_TARGET')`
  )
  t.same(
    [failure1?.success, failure1?.execution_error, failure1?.execution_error_code],
    [false, 'no target registered', 'NO_TARGET']
  )
  const [dry] = await as(
    sql,
    'service',
    async tx =>
      await tx<
        Action[]
      >`select * from execute_recovery_action(${await action(sql, { dry_run: true })}, 'dry_run', '{"simulated": true}')`
  )
  t.same([dry?.execution_status, dry?.success], ['dry_run', null], 'a dry run is not reported as success')

  const unknown = await failure(
    as(sql, 'service', async tx => await tx`select * from execute_recovery_action(${await action(sql)}, 'approved')`)
  )
  t.equal(unknown?.code, '22023', 'approval is not an execution step')
  const user = await failure(
    as(sql, 'user', async tx => await tx`select * from execute_recovery_action(${await action(sql)}, 'running')`)
  )
  t.equal(user?.code, 'C3404', 'a user cannot execute their own action')
  const nothing = await failure(
    as(sql, 'service', async tx => await tx`select * from execute_recovery_action(${randomUUID()}, 'running')`)
  )
  t.equal(nothing?.code, 'C3404')
})

t.test('schedule_recovery_action_retry backs off exponentially, then gives up', async t => {
  const sql = await database(t)
  const policy = { base_delay_seconds: 2, factor: 3, max_delay_seconds: 100, jitter: 0 }
  for (const [attempt, delay] of [
    [1, 2],
    [2, 6],
    [3, 18],
    [4, 54],
    [5, 100]
  ] as const) {
    const id = await actionIn(sql, 'running', {
      attempt_number: attempt,
      max_attempts: 10,
      retry_policy: policy,
      lease_owner: 'a',
      lease_expires_at: new Date()
    })
    const [row] = await as(
      sql,
      'service',
      async tx =>
        await tx<Action[]>`
      select a.*, now() as now from schedule_recovery_action_retry(${id}, 'HTTP 503', 'HTTP_503') a`
    )
    t.equal(row?.execution_status, 'retry_scheduled')
    t.equal((row!.next_retry_at!.getTime() - row!.now.getTime()) / 1000, delay, `after attempt ${attempt}: ${delay} s`)
    t.same([row?.lease_owner, row?.execution_error_code], [null, 'HTTP_503'])
  }
  const defaults = await actionIn(sql, 'failed', { attempt_number: 2, retry_policy: {} })
  const [byDefault] = await as(
    sql,
    'service',
    async tx => await tx<Action[]>`select a.*, now() as now from schedule_recovery_action_retry(${defaults}) a`
  )
  t.equal((byDefault!.next_retry_at!.getTime() - byDefault!.now.getTime()) / 1000, 2, 'defaults: 1 s doubling')

  const delays: number[] = []
  for (let i = 0; i < 20; i++) {
    const id = await actionIn(sql, 'running', {
      attempt_number: 3,
      retry_policy: { base_delay_seconds: 10, factor: 2, jitter: 0.5 },
      max_attempts: 5
    })
    const [row] = await as(
      sql,
      'service',
      async tx => await tx<Action[]>`select a.*, now() as now from schedule_recovery_action_retry(${id}) a`
    )
    delays.push((row!.next_retry_at!.getTime() - row!.now.getTime()) / 1000)
  }
  t.ok(
    delays.every(delay => delay >= 20 && delay <= 40),
    'jitter takes up to half off 40 s'
  )
  t.ok(new Set(delays).size > 1, 'and varies')

  const last = await actionIn(sql, 'running', { attempt_number: 3, max_attempts: 3 })
  const [exhausted] = await as(
    sql,
    'service',
    async tx =>
      await tx<Action[]>`select a.*, now() as now from schedule_recovery_action_retry(${last}, 'still failing') a`
  )
  t.same(
    [exhausted?.execution_status, exhausted?.success, exhausted?.next_retry_at, exhausted?.execution_error],
    ['failed', false, null, 'still failing'],
    'the last attempt fails for good'
  )
  t.equal(exhausted?.execution_completed_at?.getTime(), exhausted?.now.getTime())
  const final = await failure(
    as(
      sql,
      'service',
      async tx => await tx`select * from schedule_recovery_action_retry(${await actionIn(sql, 'succeeded')})`
    )
  )
  t.equal(final?.code, 'C3409', 'a succeeded action is not retried')
  const hidden = await failure(
    as(
      sql,
      'other',
      async tx => await tx`select * from schedule_recovery_action_retry(${await actionIn(sql, 'running')})`
    )
  )
  t.equal(hidden?.code, 'C3404')
})

t.test('get_pending_recovery_actions: waiting actions, oldest first', async t => {
  const sql = await database(t)
  const pending = await actionIn(sql, 'pending', { created_at: minutesAgo(40) })
  const waiting = await actionIn(sql, 'pending_approval', {
    created_at: minutesAgo(30),
    target_component_name: 'payments'
  })
  const approved = await actionIn(sql, 'approved', { created_at: minutesAgo(20), user_id: OTHER_USER })
  const retry = await actionIn(sql, 'retry_scheduled', { created_at: minutesAgo(10), next_retry_at: new Date() })
  await actionIn(sql, 'running', { created_at: minutesAgo(50) })
  await actionIn(sql, 'succeeded', { created_at: minutesAgo(60) })
  const ids = async (who: 'service' | 'user', query: (tx: Db) => Promise<Array<{ id: string }>>): Promise<string[]> =>
    (await as(sql, who, query)).map(row => row.id)
  t.same(await ids('service', async tx => await tx`select id from get_pending_recovery_actions()`), [
    pending,
    waiting,
    approved,
    retry
  ])
  t.same(await ids('service', async tx => await tx`select id from get_pending_recovery_actions('payments')`), [waiting])
  t.same(await ids('service', async tx => await tx`select id from get_pending_recovery_actions(p_limit => 2)`), [
    pending,
    waiting
  ])
  t.same(
    await ids('user', async tx => await tx`select id from get_pending_recovery_actions()`),
    [pending, waiting, retry],
    'a user sees their own'
  )
})

t.test('get_recovery_action_statistics: outcomes per action type', async t => {
  const sql = await database(t)
  const created = minutesAgo(60)
  const after = (seconds: number): Date => new Date(created.getTime() + seconds * 1000)
  await actionIn(sql, 'succeeded', {
    created_at: created,
    execution_completed_at: after(60),
    execution_duration_ms: 100,
    attempt_number: 1,
    recovery_effectiveness_score: 80
  })
  await actionIn(sql, 'succeeded', {
    created_at: created,
    execution_completed_at: after(180),
    execution_duration_ms: 300,
    attempt_number: 2,
    recovery_effectiveness_score: 60
  })
  await actionIn(sql, 'failed', { created_at: created, execution_duration_ms: 500, attempt_number: 3 })
  await actionIn(sql, 'rolled_back', { created_at: created })
  await actionIn(sql, 'pending', { action_type: 'restart_function' })
  await actionIn(sql, 'dry_run', { action_type: 'restart_function' })
  await actionIn(sql, 'succeeded', { action_type: 'restart_function', created_at: minutesAgo(3 * 24 * 60) })
  const rows = await as(sql, 'service', async tx => await tx`select * from get_recovery_action_statistics()`)
  t.same(rows, [
    {
      action_type: 'clear_cache',
      total_count: 4,
      succeeded_count: 2,
      failed_count: 1,
      unfinished_count: 0,
      cancelled_count: 0,
      rejected_count: 0,
      dry_run_count: 0,
      rolled_back_count: 1,
      success_rate: 50,
      avg_execution_duration_ms: 300,
      median_time_to_recover_seconds: 120,
      avg_attempts: 1.5,
      avg_recovery_effectiveness_score: 70
    },
    {
      action_type: 'restart_function',
      total_count: 2,
      succeeded_count: 0,
      failed_count: 0,
      unfinished_count: 1,
      cancelled_count: 0,
      rejected_count: 0,
      dry_run_count: 1,
      rolled_back_count: 0,
      success_rate: null,
      avg_execution_duration_ms: null,
      median_time_to_recover_seconds: null,
      avg_attempts: 0,
      avg_recovery_effectiveness_score: null
    }
  ])
  const other = await as(sql, 'other', async tx => await tx`select * from get_recovery_action_statistics()`)
  t.same(other, [], 'another user counts nothing')
})
