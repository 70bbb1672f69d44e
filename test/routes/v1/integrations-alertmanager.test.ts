// POST /v1/integrations/alertmanager: Alertmanager's (and Grafana's) webhook into anomaly signals.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, createIngestKey, type TestApp } from '../../helpers/app.js'
import { ownerSql } from '../../helpers/database.js'
import { firingGroup, grafanaFiring, resolvedGroup } from '../../fixtures/alertmanager.js'
import { anomalyTypeOf, severityOf } from '../../../src/services/integrations/alertmanager.js'

async function ingestKey(ctx: TestApp): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await createIngestKey(ctx, 'alertmanager')}` }
}

t.test(
  'firing alerts of one group open one signal with the alert kept; resolving the last one resolves it',
  async t => {
    const ctx = await buildTestApp(t)
    const headers = await ingestKey(ctx)
    const sql = ownerSql(t, ctx.databaseUrl)
    const post = async (payload: Record<string, unknown>) =>
      await ctx.app.inject({ method: 'POST', url: '/v1/integrations/alertmanager', headers, payload })

    const first = await post(firingGroup)
    t.equal(first.statusCode, 200)
    t.match(first.json(), { received: 2, opened: 1, updated: 1, resolved: 0, ignored: [] })
    const [signal] = await sql`select * from anomaly_signals`
    t.match(signal, {
      organization_id: ctx.admin.organizationId,
      anomaly_type: 'high_request_latency',
      severity: 'critical',
      source_type: 'alertmanager',
      source_component_name: 'checkout',
      anomaly_summary: 'checkout p99 above 2s',
      anomaly_description: 'p99 latency is 3.4s over the last 5 minutes',
      status: 'open',
      historical_occurrences: 2
    })
    t.equal(
      new Date(signal?.detection_timestamp as Date).toISOString(),
      '2026-12-05T10:00:00.000Z',
      'startsAt is the detection time'
    )
    // The latest alert's labels and annotations are kept beside every firing fingerprint.
    t.match(signal?.metadata, {
      alertmanager: {
        fingerprints: ['5b1a9c0f3e2d4a61', '8e0c27d41f6b3a95'],
        labels: { instance: 'checkout-a1b2:8080', severity: 'critical' },
        external_url: 'http://alertmanager:9093'
      }
    })

    t.match(
      (await post(firingGroup)).json(),
      { opened: 0, updated: 0, unchanged: 2 },
      'a repeat (repeat_interval) changes nothing'
    )
    t.equal((await sql`select count(*)::int as n from anomaly_signals`)[0]?.n, 1)

    t.match(
      (await post(resolvedGroup('5b1a9c0f3e2d4a61'))).json(),
      { updated: 1, resolved: 0, unchanged: 1 },
      'one instance resolved: the signal stays open'
    )
    t.equal((await sql`select status from anomaly_signals`)[0]?.status, 'open')
    t.match((await post(resolvedGroup('5b1a9c0f3e2d4a61', '8e0c27d41f6b3a95'))).json(), { resolved: 1, unchanged: 1 })
    const [closed] = await sql`select status, resolved_at, resolution_notes from anomaly_signals`
    t.equal(closed?.status, 'resolved')
    t.equal(
      new Date(closed?.resolved_at as Date).toISOString(),
      '2026-12-05T10:20:00.000Z',
      'endsAt is the resolution time'
    )
    t.match(
      (await post(resolvedGroup('5b1a9c0f3e2d4a61', '8e0c27d41f6b3a95'))).json(),
      { resolved: 0, unchanged: 2 },
      'a repeated resolve changes nothing'
    )
  }
)

t.test(
  'Grafana alerting payloads are accepted; the component comes from the first present label of the list',
  async t => {
    const ctx = await buildTestApp(t)
    const headers = await ingestKey(ctx)
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/integrations/alertmanager',
      headers,
      payload: grafanaFiring
    })
    t.equal(res.statusCode, 200)
    const sql = ownerSql(t, ctx.databaseUrl)
    t.match(await sql`select source_component_name, anomaly_type, severity from anomaly_signals`, [
      { source_component_name: 'billing-db', anomaly_type: 'disk_almost_full', severity: 'medium' }
    ])

    const unlabelled = {
      ...firingGroup,
      commonLabels: {},
      alerts: [{ ...firingGroup.alerts[0], labels: { alertname: 'Watchdog' } }]
    }
    const ignored = await ctx.app.inject({
      method: 'POST',
      url: '/v1/integrations/alertmanager',
      headers,
      payload: unlabelled
    })
    t.match(ignored.json(), {
      received: 1,
      opened: 0,
      ignored: [{ fingerprint: '5b1a9c0f3e2d4a61', reason: /no component label/ }]
    })
  }
)

t.test('the component labels are configurable', async t => {
  const ctx = await buildTestApp(t, {
    integrations: {
      ...(await import('../../helpers/app.js')).testConfig().integrations,
      alertmanagerComponentLabels: ['team_service']
    }
  })
  const headers = await ingestKey(ctx)
  const payload = {
    ...firingGroup,
    commonLabels: {},
    alerts: [{ ...firingGroup.alerts[0], labels: { alertname: 'X', service: 'ignored', team_service: 'payments' } }]
  }
  await ctx.app.inject({ method: 'POST', url: '/v1/integrations/alertmanager', headers, payload })
  const sql = ownerSql(t, ctx.databaseUrl)
  t.match(await sql`select source_component_name from anomaly_signals`, [{ source_component_name: 'payments' }])
})

t.test('bad payloads are refused naming the field, with nothing stored', async t => {
  const ctx = await buildTestApp(t)
  const headers = await ingestKey(ctx)
  const alerts = [firingGroup.alerts[0], { ...firingGroup.alerts[1], startsAt: 'yesterday' }]
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/integrations/alertmanager',
    headers,
    payload: { ...firingGroup, alerts }
  })
  t.equal(res.statusCode, 400)
  t.match(res.json().errors, [{ path: '/body/alerts/1/startsAt' }])
  const sql = ownerSql(t, ctx.databaseUrl)
  t.equal((await sql`select count(*)::int as n from anomaly_signals`)[0]?.n, 0)
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/v1/integrations/alertmanager', payload: firingGroup })).statusCode,
    401
  )
})

t.test('a service token names the organization, or acts for the platform without one', async t => {
  const ctx = await buildTestApp(t)
  const organizationId = randomUUID()
  await ctx.app.inject({
    method: 'POST',
    url: `/v1/integrations/alertmanager?organization_id=${organizationId}`,
    headers: ctx.service.headers,
    payload: firingGroup
  })
  await ctx.app.inject({
    method: 'POST',
    url: '/v1/integrations/alertmanager',
    headers: ctx.service.headers,
    payload: grafanaFiring
  })
  const sql = ownerSql(t, ctx.databaseUrl)
  t.match(
    await sql`select organization_id, source_component_name from anomaly_signals order by source_component_name`,
    [
      { organization_id: null, source_component_name: 'billing-db' },
      { organization_id: organizationId, source_component_name: 'checkout' }
    ]
  )
  t.equal(
    (
      await ctx.app.inject({
        method: 'POST',
        url: '/v1/integrations/alertmanager',
        headers: ctx.admin.headers,
        payload: firingGroup
      })
    ).statusCode,
    403,
    'admins use keys'
  )
})

t.test('severity labels and alert names map as documented', async t => {
  t.same(
    ['critical', 'page', 'error', 'warning', 'info', 'none', 'bogus', undefined].map(severity =>
      severityOf(severity === undefined ? {} : { severity })
    ),
    ['critical', 'critical', 'high', 'medium', 'low', 'low', 'medium', 'medium']
  )
  t.same(
    ['HighRequestLatency', 'KubePodCrashLooping', 'high-error rate', 'CPUThrottlingHigh', '5xxRate', ''].map(
      anomalyTypeOf
    ),
    [
      'high_request_latency',
      'kube_pod_crash_looping',
      'high_error_rate',
      'cpu_throttling_high',
      'alert_5xx_rate',
      'alertmanager_alert'
    ]
  )
})

t.test(
  'startsAt is event time: the zero time is the arrival, one far ahead is ignored, an endsAt ahead is now',
  async t => {
    const ctx = await buildTestApp(t)
    const headers = await ingestKey(ctx)
    const alert = (name: string, startsAt: string, extra: Record<string, unknown> = {}) => ({
      ...firingGroup.alerts[0],
      labels: { alertname: name, service: 'checkout' },
      startsAt,
      fingerprint: name,
      ...extra
    })
    const before = Date.now()
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/integrations/alertmanager',
      headers,
      payload: {
        ...firingGroup,
        commonLabels: {},
        alerts: [
          alert('ZeroStart', '0001-01-01T00:00:00Z'),
          alert('FromTheFuture', new Date(before + 3_600_000).toISOString()),
          alert('SlightlyAhead', new Date(before + 60_000).toISOString())
        ]
      }
    })
    t.equal(res.statusCode, 200)
    t.match(res.json(), {
      opened: 2,
      ignored: [{ fingerprint: 'FromTheFuture', reason: /future skew bound \(EVENT_MAX_FUTURE_SKEW_SECONDS\)/ }]
    })
    const sql = ownerSql(t, ctx.databaseUrl)
    const stored = await sql<Array<{ anomaly_type: string; at: number }>>`
    select anomaly_type, extract(epoch from detection_timestamp)::float8 * 1000 as at from anomaly_signals order by 1`
    t.same(
      stored.map(row => row.anomaly_type),
      ['slightly_ahead', 'zero_start']
    )
    const zero = stored.find(row => row.anomaly_type === 'zero_start')?.at ?? 0
    t.ok(zero >= before - 1000 && zero <= Date.now(), 'the zero time stands for the arrival, not year 1')
    const listed = await ctx.app.inject({ url: '/v1/anomalies?anomaly_type=zero_start', headers: ctx.admin.headers })
    t.ok(Date.parse(listed.json().items[0].detection_timestamp) >= before - 1000)

    const resolved = await ctx.app.inject({
      method: 'POST',
      url: '/v1/integrations/alertmanager',
      headers,
      payload: {
        ...firingGroup,
        status: 'resolved',
        commonLabels: {},
        alerts: [
          alert('SlightlyAhead', new Date(before + 60_000).toISOString(), {
            status: 'resolved',
            endsAt: '2099-01-01T00:00:00Z'
          })
        ]
      }
    })
    t.equal(resolved.json().resolved, 1)
    const [row] = await sql<Array<{ past: boolean }>>`
    select resolved_at <= now() + interval '2 minutes' as past from anomaly_signals where anomaly_type = 'slightly_ahead'`
    t.ok(row?.past, 'a resolution is never dated in the future beyond the signal start')
  }
)

t.test('a message of many alerts writes each signal once, however many fingerprints it holds', async t => {
  const ctx = await buildTestApp(t)
  const headers = await ingestKey(ctx)
  const sql = ownerSql(t, ctx.databaseUrl)
  // Counts the row versions the webhook writes, whoever writes them.
  await sql`create table signal_writes (n int not null)`
  await sql`insert into signal_writes values (0)`
  await sql`create function count_signal_write() returns trigger language plpgsql security definer as $$
    begin update signal_writes set n = n + 1; return new; end $$`
  await sql`create trigger count_signal_write after update on anomaly_signals for each row execute function count_signal_write()`
  const writes = async (): Promise<number> => Number((await sql`select n from signal_writes`)[0]?.n)
  const group = (round: number, status = 'firing') => ({
    ...firingGroup,
    status,
    alerts: Array.from({ length: 1000 }, (_, n) => ({
      ...firingGroup.alerts[0],
      status,
      endsAt: status === 'resolved' ? '2026-12-05T10:20:00.000Z' : '0001-01-01T00:00:00Z',
      labels: { alertname: 'PodRestarting', service: 'fleet', pod: `pod-${round}-${n}` },
      fingerprint: `${round}-${n}`
    }))
  })
  const post = async (payload: Record<string, unknown>) =>
    (await ctx.app.inject({ method: 'POST', url: '/v1/integrations/alertmanager', headers, payload })).json()

  t.match(await post(group(1)), { opened: 1, updated: 999 })
  t.equal(await writes(), 1, 'opened, then written once with the 999 that joined')
  t.match(await post(group(2)), { updated: 1000 })
  t.match(await post(group(2)), { unchanged: 1000 }, 'a repeat')
  t.equal(await writes(), 3, 'one write per message')
  const [signal] =
    await sql`select historical_occurrences, jsonb_array_length(metadata #> '{alertmanager,fingerprints}') as firing from anomaly_signals`
  t.match(signal, { historical_occurrences: 2000, firing: 2000 })

  t.match(await post(group(1, 'resolved')), { updated: 1000, resolved: 0 })
  t.match(await post(group(2, 'resolved')), { updated: 999, resolved: 1 })
  t.equal(await writes(), 5)
  t.match(await sql`select status from anomaly_signals`, [{ status: 'resolved' }])
})

t.test(
  'a component label that reverses text or is longer than a name may be is ignored with the reason, never cut',
  async t => {
    const ctx = await buildTestApp(t)
    const headers = await ingestKey(ctx)
    const alert = (fingerprint: string, labels: Record<string, string>) => ({
      status: 'firing',
      labels: { alertname: 'HighErrorRate', ...labels },
      startsAt: new Date().toISOString(),
      fingerprint
    })
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/integrations/alertmanager',
      headers,
      payload: {
        version: '4',
        status: 'firing',
        alerts: [
          alert('bidi', { service: '\u202Eipa-tuokcehc' }),
          alert('long', { service: 'x'.repeat(201) }),
          alert('type', { service: 'checkout', component_type: 'edge\u200Bfunction' }),
          alert('fine', { service: 'checkout' })
        ]
      }
    })
    t.equal(res.statusCode, 200)
    t.match(res.json(), {
      received: 4,
      opened: 1,
      ignored: [
        { fingerprint: 'bidi', reason: /label service must not contain control or invisible formatting characters/ },
        { fingerprint: 'long', reason: /label service is longer than 200 characters/ },
        { fingerprint: 'type', reason: /label component_type must not contain control/ }
      ]
    })
    const sql = ownerSql(t, ctx.databaseUrl)
    t.same(
      (await sql`select source_component_name from anomaly_signals`).map(row => row.source_component_name),
      ['checkout']
    )
  }
)
