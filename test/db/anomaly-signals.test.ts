// anomaly_signals: constraints, one active signal per source, the lifecycle (who may move a
// signal where, and what the database records when they do), and the four anomaly helper
// functions on known rows.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { ADMIN, ORG, OTHER_ORG, OTHER_USER, USER, as, database, failure, minutesAgo, type Db } from './fixtures.js'

interface Signal {
  id: string
  status: string
  acknowledged_by: string | null
  acknowledged_at: Date | null
  resolved_by: string | null
  resolved_at: Date | null
  resolution_notes: string | null
  resolution_duration_minutes: number | null
  detection_timestamp: Date
}

async function signal(sql: Db, fields: Record<string, unknown> = {}): Promise<string> {
  const row = {
    anomaly_type: 'latency_spike',
    severity: 'high',
    source_type: 'health_event',
    source_component_name: `svc-${randomUUID()}`,
    user_id: USER,
    organization_id: ORG,
    ...fields
  }
  const [inserted] = await sql<Array<{ id: string }>>`insert into anomaly_signals ${sql(row)} returning id`
  return inserted!.id
}

t.test('constraints refuse values outside the contract', async t => {
  const sql = await database(t)
  const bad: Array<[string, Record<string, unknown>]> = [
    ['an unknown severity', { severity: 'urgent' }],
    ['a confidence above 1', { confidence_score: 1.5 }],
    ['an anomaly type that is not a snake_case word', { anomaly_type: 'Latency Spike' }],
    ['an unknown status', { status: 'closed' }],
    ['a negative token count', { gpt4o_tokens_used: -1 }],
    ['an open signal with a resolved_at', { status: 'open', resolved_at: new Date() }]
  ]
  for (const [name, fields] of bad) {
    const error = await failure(as(sql, 'service', async tx => await signal(tx, fields)))
    t.equal(error?.code, '23514', `${name}: check violation`)
  }
  const error = await failure(
    sql`insert into anomaly_signals (anomaly_type, severity, source_type, recommended_actions) values ('latency_spike', 'high', 'health_event', '{}')`
  )
  t.equal(error?.code, '23514', 'recommended_actions must be an array')
})

t.test('one active signal per organization, component and anomaly type', async t => {
  const sql = await database(t)
  const first = await signal(sql, { source_component_name: 'checkout' })
  const again = await failure(signal(sql, { source_component_name: 'checkout' }))
  t.equal(again?.code, '23505', 'a second active signal for the same source is a unique violation')
  await signal(sql, { source_component_name: 'checkout', organization_id: OTHER_ORG })
  await signal(sql, { source_component_name: 'checkout', anomaly_type: 'error_rate_increase' })
  t.pass('another organization or another anomaly type may have its own')
  await signal(sql, { source_component_name: 'checkout', organization_id: null })
  const orphan = await failure(signal(sql, { source_component_name: 'checkout', organization_id: null }))
  t.equal(orphan?.code, '23505', 'signals without an organization are deduplicated too')
  await as(
    sql,
    'service',
    async tx =>
      await tx`update anomaly_signals set historical_occurrences = historical_occurrences + 1 where id = ${first}`
  )
  await as(sql, 'service', async tx => await tx`select update_anomaly_status(${first}, 'resolved')`)
  await signal(sql, { source_component_name: 'checkout' })
  t.pass('once resolved, the source may open a new signal')
})

t.test('the lifecycle', async t => {
  const sql = await database(t)

  t.test('a user acknowledges and resolves their own signal; the database records who and when', async t => {
    const id = await signal(sql, { detection_timestamp: minutesAgo(90) })
    const [acknowledged] = await as(
      sql,
      'user',
      async tx =>
        await tx<Array<Signal & { now: Date }>>`
      select s.*, now() as now from update_anomaly_status(${id}, 'acknowledged') s`
    )
    t.equal(acknowledged?.status, 'acknowledged')
    t.equal(acknowledged?.acknowledged_by, USER)
    t.equal(acknowledged?.acknowledged_at?.getTime(), acknowledged?.now.getTime())
    t.equal(acknowledged?.resolved_at, null)

    const [resolved] = await as(
      sql,
      'user',
      async tx => await tx<Signal[]>`select * from update_anomaly_status(${id}, 'resolved', 'restarted the pod')`
    )
    t.equal(resolved?.status, 'resolved')
    t.equal(resolved?.resolved_by, USER)
    t.equal(resolved?.resolution_notes, 'restarted the pod')
    t.equal(resolved?.acknowledged_at?.getTime(), acknowledged?.acknowledged_at?.getTime(), 'acknowledged_at is kept')
    const minutes = (resolved!.resolved_at!.getTime() - resolved!.detection_timestamp.getTime()) / 60_000
    t.equal(
      resolved?.resolution_duration_minutes,
      Math.round(minutes * 100) / 100,
      'resolution_duration_minutes from detection to resolution'
    )
    t.ok(Math.abs(resolved!.resolution_duration_minutes! - 90) < 1, 'about ninety minutes')

    const [repeat] = await as(
      sql,
      'user',
      async tx => await tx<Signal[]>`select * from update_anomaly_status(${id}, 'resolved')`
    )
    t.equal(repeat?.resolved_at?.getTime(), resolved?.resolved_at?.getTime(), 'resolving again changes nothing')
    t.equal(repeat?.resolution_notes, 'restarted the pod', 'notes are kept when none are given')

    const back = await failure(
      as(sql, 'user', async tx => await tx`select update_anomaly_status(${id}, 'acknowledged')`)
    )
    t.equal(back?.code, 'C3409', 'a resolved signal cannot be acknowledged again')
    const reopen = await failure(
      as(sql, 'user', async tx => await tx`update anomaly_signals set status = 'open' where id = ${id}`)
    )
    t.equal(reopen?.code, 'C3409', 'nor reopened by a direct update')
  })

  t.test('every allowed and refused move', async t => {
    const statuses = ['open', 'acknowledged', 'investigating', 'resolved', 'false_positive']
    const allowed = new Set([
      'open>acknowledged',
      'open>investigating',
      'open>resolved',
      'open>false_positive',
      'acknowledged>investigating',
      'acknowledged>resolved',
      'acknowledged>false_positive',
      'investigating>resolved',
      'investigating>false_positive'
    ])
    for (const from of statuses) {
      for (const to of statuses) {
        if (from === to) continue
        const id = await signal(sql, { status: from })
        const error = await failure(
          as(sql, 'service', async tx => await tx`select update_anomaly_status(${id}, ${to})`)
        )
        t.equal(
          error?.code,
          allowed.has(`${from}>${to}`) ? undefined : 'C3409',
          `${from} -> ${to} ${allowed.has(`${from}>${to}`) ? 'allowed' : 'refused'}`
        )
      }
    }
  })

  t.test('closing fills resolved_at; investigating counts as acknowledged', async t => {
    // Inserted before the closing transaction begins: inserted inside it, the signal's detection
    // time came after the transaction's now(), and a slow insert made its duration negative.
    const closed = await signal(sql)
    const [falsePositive] = await as(
      sql,
      'admin',
      async tx => await tx<Signal[]>`select * from update_anomaly_status(${closed}, 'false_positive', 'load test')`
    )
    t.equal(falsePositive?.resolved_by, ADMIN, "an admin closes another user's signal as themselves")
    t.ok(falsePositive?.resolved_at)
    t.equal(falsePositive?.acknowledged_at, null, 'closing straight from open acknowledges nothing')
    const [investigating] = await as(
      sql,
      'user',
      async tx => await tx<Signal[]>`select * from update_anomaly_status(${await signal(sql)}, 'investigating')`
    )
    t.equal(investigating?.acknowledged_by, USER)
    const [inserted] = await as(
      sql,
      'service',
      async tx =>
        await tx<Signal[]>`
      insert into anomaly_signals (anomaly_type, severity, source_type, status, detection_timestamp)
      values ('latency_spike', 'low', 'health_event', 'resolved', now() - interval '30 minutes') returning *`
    )
    t.equal(inserted?.resolution_duration_minutes, 30, 'a signal stored already resolved gets its resolution time')
  })

  t.test('the service role may name who resolved, users may not', async t => {
    const id = await signal(sql)
    const [resolved] = await as(
      sql,
      'service',
      async tx =>
        await tx<Signal[]>`
      update anomaly_signals set status = 'resolved', resolved_by = ${OTHER_USER} where id = ${id} returning *`
    )
    t.equal(resolved?.resolved_by, OTHER_USER)
    const automatic = await signal(sql)
    const [auto] = await as(
      sql,
      'service',
      async tx =>
        await tx<
          Signal[]
        >`select * from update_anomaly_status(${automatic}, 'resolved', 'metric normal for 10 minutes')`
    )
    t.equal(auto?.resolved_by, null, 'resolved by the system: nobody')
    const forged = await failure(
      as(
        sql,
        'user',
        async tx => await tx`update anomaly_signals set acknowledged_by = ${OTHER_USER} where id = ${await signal(sql)}`
      )
    )
    t.equal(forged?.code, '42501', 'users cannot write acknowledged_by')
    const other = await failure(
      as(sql, 'user', async tx => await tx`update anomaly_signals set severity = 'low' where id = ${await signal(sql)}`)
    )
    t.equal(other?.code, '42501', 'nor any column but status and resolution_notes')
  })

  t.test('a signal the caller cannot see is C3404; a bad status is 22023', async t => {
    const id = await signal(sql)
    const hidden = await failure(
      as(sql, 'other', async tx => await tx`select update_anomaly_status(${id}, 'acknowledged')`)
    )
    t.equal(hidden?.code, 'C3404', "another user's signal")
    const missing = await failure(
      as(sql, 'admin', async tx => await tx`select update_anomaly_status(${randomUUID()}, 'acknowledged')`)
    )
    t.equal(missing?.code, 'C3404', 'a signal that does not exist')
    const unknown = await failure(as(sql, 'user', async tx => await tx`select update_anomaly_status(${id}, 'closed')`))
    t.equal(unknown?.code, '22023')
    const [row] = await sql<Array<{ status: string }>>`select status from anomaly_signals where id = ${id}`
    t.equal(row?.status, 'open', 'nothing changed')
  })
})

t.test('get_active_anomalies: active signals, most severe first', async t => {
  const sql = await database(t)
  const critical = await signal(sql, {
    severity: 'critical',
    status: 'open',
    source_component_name: 'checkout',
    detection_timestamp: minutesAgo(30)
  })
  const high = await signal(sql, {
    severity: 'high',
    status: 'acknowledged',
    source_component_name: 'payments',
    detection_timestamp: minutesAgo(5)
  })
  const low = await signal(sql, {
    severity: 'low',
    status: 'investigating',
    source_component_name: 'search',
    user_id: OTHER_USER
  })
  await signal(sql, {
    severity: 'critical',
    status: 'resolved',
    source_component_name: 'checkout',
    anomaly_type: 'error_rate_increase'
  })
  const ids = async (who: 'service' | 'user', query: (tx: Db) => Promise<Array<{ id: string }>>): Promise<string[]> =>
    (await as(sql, who, query)).map(row => row.id)
  t.same(await ids('service', async tx => await tx`select id from get_active_anomalies()`), [critical, high, low])
  t.same(await ids('service', async tx => await tx`select id from get_active_anomalies('high')`), [critical, high])
  t.same(
    await ids('service', async tx => await tx`select id from get_active_anomalies(p_component_name => 'search')`),
    [low]
  )
  t.same(await ids('service', async tx => await tx`select id from get_active_anomalies(p_limit => 1)`), [critical])
  t.same(
    await ids('user', async tx => await tx`select id from get_active_anomalies()`),
    [critical, high],
    'a user sees their own'
  )
})

t.test('get_anomaly_statistics: counts, means and rates over the window', async t => {
  const sql = await database(t)
  await signal(sql, { severity: 'critical', confidence_score: 0.9, detection_timestamp: minutesAgo(60) })
  await signal(sql, {
    severity: 'high',
    confidence_score: 0.7,
    status: 'acknowledged',
    detection_timestamp: minutesAgo(50)
  })
  await signal(sql, {
    severity: 'high',
    confidence_score: 0.8,
    anomaly_type: 'error_rate_increase',
    status: 'resolved',
    detection_timestamp: minutesAgo(120),
    resolved_at: minutesAgo(90)
  })
  await signal(sql, {
    severity: 'low',
    confidence_score: 0.6,
    anomaly_type: 'resource_exhaustion',
    status: 'false_positive',
    detection_timestamp: minutesAgo(40),
    resolved_at: minutesAgo(30)
  })
  await signal(sql, {
    severity: 'medium',
    status: 'resolved',
    detection_timestamp: minutesAgo(3 * 24 * 60),
    resolved_at: minutesAgo(3 * 24 * 60 - 5)
  })
  const [stats] = await as(sql, 'service', async tx => await tx`select * from get_anomaly_statistics()`)
  t.same(stats, {
    total_count: 4,
    active_count: 2,
    open_count: 1,
    acknowledged_count: 1,
    investigating_count: 0,
    resolved_count: 1,
    false_positive_count: 1,
    critical_count: 1,
    high_count: 2,
    medium_count: 0,
    low_count: 1,
    avg_confidence_score: 0.75,
    avg_resolution_duration_minutes: 20,
    false_positive_rate: 50,
    by_type: { latency_spike: 2, error_rate_increase: 1, resource_exhaustion: 1 }
  })
  const [week] = await as(
    sql,
    'service',
    async tx => await tx`select total_count, resolved_count from get_anomaly_statistics(now() - interval '7 days')`
  )
  t.same(week, { total_count: 5, resolved_count: 2 }, 'a wider window')
  const [empty] = await as(
    sql,
    'other',
    async tx =>
      await tx`select total_count, avg_confidence_score, false_positive_rate, by_type from get_anomaly_statistics()`
  )
  t.same(
    empty,
    { total_count: 0, avg_confidence_score: null, false_positive_rate: null, by_type: {} },
    'another user counts nothing'
  )
})

t.test('find_correlated_anomalies: linked signals, then other components active at the same time', async t => {
  const sql = await database(t)
  const linkedEarlier = await signal(sql, {
    source_component_name: 'database',
    detection_timestamp: minutesAgo(3 * 24 * 60),
    status: 'resolved'
  })
  const target = await signal(sql, {
    source_component_name: 'checkout',
    detection_timestamp: minutesAgo(30),
    last_observed_at: minutesAgo(20),
    related_anomaly_ids: [linkedEarlier]
  })
  const linkingLater = await signal(sql, {
    source_component_name: 'cdn',
    detection_timestamp: minutesAgo(400),
    related_anomaly_ids: [target]
  })
  const concurrent = await signal(sql, { source_component_name: 'payments', detection_timestamp: minutesAgo(25) })
  const justAfter = await signal(sql, { source_component_name: 'search', detection_timestamp: minutesAgo(8) })
  await signal(sql, { source_component_name: 'reports', detection_timestamp: minutesAgo(120) })
  await signal(sql, {
    source_component_name: 'checkout',
    anomaly_type: 'error_rate_increase',
    detection_timestamp: minutesAgo(28)
  })
  await signal(sql, {
    source_component_name: 'billing',
    detection_timestamp: minutesAgo(29),
    organization_id: OTHER_ORG
  })

  const rows = await as(
    sql,
    'service',
    async tx => await tx`select id, correlation_reason, time_offset_seconds from find_correlated_anomalies(${target})`
  )
  t.same(
    rows.map(row => [row.id, row.correlation_reason]),
    [
      [linkingLater, 'linked'],
      [linkedEarlier, 'linked'],
      [concurrent, 'time_overlap'],
      [justAfter, 'time_overlap']
    ],
    'linked either way first, then other components of the organization detected while it was active, nearest first'
  )
  const offset = rows.find(row => row.id === concurrent)?.time_offset_seconds as number
  t.ok(Math.abs(offset - 300) < 1, 'the offset is the difference in detection time, in seconds')
  const narrow = await as(
    sql,
    'service',
    async tx => await tx`select id from find_correlated_anomalies(${target}, interval '1 minute')`
  )
  t.same(
    narrow.map(row => row.id),
    [linkingLater, linkedEarlier, concurrent],
    'a narrower window'
  )
  const hidden = await failure(
    as(sql, 'other', async tx => await tx`select * from find_correlated_anomalies(${target})`)
  )
  t.equal(hidden?.code, 'C3404', 'a signal the caller cannot see')
  const mine = await as(sql, 'user', async tx => await tx`select id from find_correlated_anomalies(${target})`)
  t.equal(mine.length, 4, 'the owner sees the same correlations among their own signals')
})
