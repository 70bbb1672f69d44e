// One caller's rows in every resource that has an id in its path, created the way Core314
// services create them (the service role naming the owner), for tests that check another
// caller can neither see nor change them. Every text field carries a marker, so a response
// that leaks any part of a row can be caught by searching for it; a snapshot of the rows as
// the database holds them shows whether anything changed.
import { randomBytes, randomUUID } from 'node:crypto'
import type { Sql } from '../../src/db/client.js'
import type { TestApp } from './app.js'

export interface OwnedRows {
  /** Path values by the resource they name: ids, or component names. */
  ids: {
    'health-events': string[]
    anomalies: string[]
    'recovery-actions': string[]
    selftests: string[]
    components: string[]
    'circuit-breakers': string[]
    escalations: string[]
    decisions: string[]
    'ingest-keys': string[]
    channels: string[]
    'predictive-alerts': string[]
    silences: string[]
    runbooks: string[]
    'runbook-runs': string[]
  }
  /** Text only these rows hold: a response carrying one of them carries the owner's data. */
  markers: {
    /** In the owner's own rows (user_id), which nobody else but admins and the service sees. */
    user: string[]
    /** In the organization's rows (components, breakers, predictive alerts), which its other members see too. */
    organization: string[]
    /** In the organization's admin-managed rows (ingest keys, channels), which only its admins and the service see. */
    admin: string[]
    /** In the organization's silences and deploy markers, which its members read but no other organization's admin. */
    members: string[]
  }
}

async function created(
  ctx: TestApp,
  method: 'POST' | 'PUT',
  url: string,
  payload: Record<string, unknown>
): Promise<Record<string, unknown>> {
  const res = await ctx.app.inject({ method, url, headers: ctx.service.headers, payload })
  if (res.statusCode !== 201 && res.statusCode !== 200)
    throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** Creates rows owned by `owner` (user and organization) in every resource with path ids. */
export async function createOwnedRows(
  ctx: TestApp,
  sql: Sql,
  owner: { id: string; organizationId: string }
): Promise<OwnedRows> {
  const tag = randomBytes(6).toString('hex')
  const marker = `private-${tag}`
  const orgMarker = `org-${tag}-registry`
  const service = `svc-${tag}`
  const component = `comp-${tag}`
  const mine = { user_id: owner.id, organization_id: owner.organizationId }

  const events = [
    await created(ctx, 'POST', '/v1/health-events', {
      ...mine,
      component_type: 'edge_function',
      component_name: service,
      status: 'critical',
      latency_ms: 2400,
      last_error_message: `${marker} timeout`
    }),
    await created(ctx, 'POST', '/v1/health-events', {
      ...mine,
      component_type: 'edge_function',
      component_name: service,
      status: 'healthy',
      latency_ms: 120
    })
  ]
  const anomalies = [
    await created(ctx, 'POST', '/v1/anomalies', {
      ...mine,
      anomaly_type: 'latency_spike',
      severity: 'critical',
      source_type: 'system_health_events',
      source_component_name: service,
      anomaly_description: `${marker} p95 tripled`
    }),
    await created(ctx, 'POST', '/v1/anomalies', {
      ...mine,
      anomaly_type: 'error_rate_increase',
      severity: 'high',
      source_type: 'system_health_events',
      source_component_name: service,
      root_cause_analysis: `${marker} bad deploy`
    })
  ]
  await created(ctx, 'PUT', `/v1/components/${component}`, {
    component_type: 'edge_function',
    organization_id: owner.organizationId,
    description: `${orgMarker} control`,
    webhook_url: `https://${orgMarker}.example.internal/control`,
    webhook_secret: `whsec_${Buffer.from(`${orgMarker}-webhook-secret`).toString('base64')}`
  })
  const actions = [
    await created(ctx, 'POST', '/v1/recovery-actions', {
      ...mine,
      action_type: 'restart_function',
      target_component_name: component,
      triggered_by_anomaly_id: anomalies[0]?.id,
      trigger_reason: `${marker} restart`
    }),
    await created(ctx, 'POST', '/v1/recovery-actions', {
      ...mine,
      action_type: 'rollback_deployment',
      target_component_name: component,
      requires_approval: true,
      trigger_reason: `${marker} rollback`
    }),
    await created(ctx, 'POST', '/v1/recovery-actions', {
      ...mine,
      action_type: 'scale_up',
      target_component_name: component,
      dry_run: true,
      action_description: `${marker} scale`
    })
  ]
  const selftests = [
    await created(ctx, 'POST', '/v1/selftests', {
      ...mine,
      test_name: `probe_${tag}`,
      test_category: 'database',
      execution_status: 'completed',
      success: true,
      execution_duration_ms: 40,
      test_description: `${marker} baseline`
    }),
    await created(ctx, 'POST', '/v1/selftests', {
      ...mine,
      test_name: `probe_${tag}`,
      test_category: 'database',
      execution_status: 'completed',
      success: false,
      execution_duration_ms: 400,
      failure_reason: `${marker} slow`
    }),
    // A built-in test's name, so the catalogue's latest results would show it if they leaked.
    await created(ctx, 'POST', '/v1/selftests', {
      ...mine,
      test_name: 'database_connectivity',
      test_category: 'database',
      execution_status: 'completed',
      success: false,
      failure_reason: `${marker} refused`
    })
  ]
  await sql`
    insert into circuit_breakers (component_name, organization_id, state, opened_at, next_probe_at, cooldown_seconds, reason, trip_count)
    values (${component}, ${owner.organizationId}, 'open', now(), now() + interval '1 hour', 3600, ${`${orgMarker} tripped`}, 1)`

  // Escalations and audit entries are written by the engine, the detector and the monitor in
  // SQL, with the owner's user_id and organization_id: here as the owner superuser does.
  const escalations = await sql<Array<{ id: string }>>`
    insert into escalation_events (user_id, organization_id, source_type, source_id, severity, title, description, metadata)
    values
      (${owner.id}, ${owner.organizationId}, 'anomaly', ${anomalies[0]?.id as string}, 'critical', ${`${marker} escalated`}, ${`${marker} p95 tripled on ${service}`}, ${sql.json({ note: marker })}),
      (${owner.id}, ${owner.organizationId}, 'recovery_action', ${actions[1]?.id as string}, 'high', ${`${marker} approval needed`}, null, '{}')
    returning id`
  const decisions = await sql<Array<{ id: string }>>`
    insert into decision_audit_log (user_id, organization_id, decision_type, component, subject_type, subject_id, input, decision, outcome, reasoning, actor)
    values
      (${owner.id}, ${owner.organizationId}, 'recovery_action', 'self-healing-engine', 'recovery_action', ${actions[0]?.id as string}, ${sql.json({ component: service })}, ${sql.json({ note: marker })}, ${`${marker} executed`}, ${`${marker} restart cleared it`}, 'engine'),
      (${owner.id}, ${owner.organizationId}, 'anomaly_detected', 'detector', 'anomaly', ${anomalies[1]?.id as string}, '{}', '{}', null, ${`${marker} error rate doubled`}, 'detector')
    returning id`
  // The forecaster's alerts are the organization's (no single owner), written in SQL as it writes them.
  const predictions = await sql<Array<{ id: string }>>`
    insert into predictive_alerts (organization_id, component_name, component_type, alert_type, metric_name,
      predicted_value, actual_value, threshold_value, forecast_target_time, confidence_score, severity, message, metadata)
    values
      (${owner.organizationId}, ${component}, 'edge_function', 'resource_exhaustion', 'memory_usage_percent',
        120, 80, 95, now() + interval '2 hours', 0.999, 'medium', ${`${orgMarker} memory runs out`}, ${sql.json({ note: orgMarker })}),
      (${owner.organizationId}, ${component}, 'edge_function', 'resource_exhaustion', 'disk_usage_percent',
        99, 90, 95, now() + interval '1 hour', 0.995, 'high', ${`${orgMarker} disk fills`}, '{}')
    returning id`
  // The organization's admin-managed rows, created through the API by the service role naming it.
  const adminMarker = `adm-${tag}-managed`
  const forOrganization = { organization_id: owner.organizationId }
  const key = await created(ctx, 'POST', '/v1/ingest-keys', { ...forOrganization, name: `${adminMarker} alertmanager` })
  const routingKey = `R0UT1NG${tag.toUpperCase()}ABCDEFGHIJKLMNOP`
  const channel = await created(ctx, 'POST', '/v1/channels', {
    ...forOrganization,
    name: `${adminMarker} on-call`,
    kind: 'pagerduty',
    routing_key: routingKey,
    min_severity: 'high'
  })

  const membersMarker = `mbr-${tag}-window`
  const silence = await created(ctx, 'POST', '/v1/silences', {
    ...forOrganization,
    matchers: [{ name: 'component_name', value: `${membersMarker}-component` }],
    ends_at: new Date(Date.now() + 24 * 3_600_000).toISOString(),
    comment: `${membersMarker} maintenance`
  })
  await created(ctx, 'POST', '/v1/deployments', {
    ...forOrganization,
    component_name: `${membersMarker}-deployed`,
    version: '1.0.0'
  })
  // A runbook (organization-wide: its members read it) and a run of it, as the engine writes runs.
  const runbookName = `rb-${tag}`
  const runbook = await created(ctx, 'POST', `/v1/runbooks?organization_id=${owner.organizationId}`, {
    name: runbookName,
    description: `${orgMarker} runbook`,
    trigger: { anomaly_types: ['latency_spike'] },
    steps: [{ action: 'restart_function', verify: { metric: 'latency_p95_ms', below: 500, within: '2m' } }]
  })
  const [run] = await sql<Array<{ id: string }>>`
    insert into runbook_runs (organization_id, runbook_id, runbook_name, runbook_version, anomaly_id, component_name, status, outcome)
    values (${owner.organizationId}, ${runbook.id as string}, ${runbookName}, 1, ${anomalies[0]?.id as string}, ${component}, 'failed', ${`${orgMarker} run outcome`})
    returning id`
  await sql`insert into runbook_run_steps (run_id, step_index, organization_id, action_type, status, action_id, verification)
    values (${run?.id as string}, 0, ${owner.organizationId}, 'restart_function', 'failed', ${actions[0]?.id as string}, ${sql.json({ reason: `${orgMarker} step` })})`

  const id = (row: Record<string, unknown>): string => row.id as string
  return {
    ids: {
      'health-events': events.map(id),
      anomalies: anomalies.map(id),
      'recovery-actions': actions.map(id),
      selftests: selftests.map(id),
      components: [component],
      'circuit-breakers': [component],
      escalations: escalations.map(id),
      decisions: decisions.map(id),
      'ingest-keys': [id(key)],
      channels: [id(channel)],
      'predictive-alerts': predictions.map(id),
      silences: [id(silence)],
      runbooks: [runbookName],
      'runbook-runs': [run?.id as string]
    },
    markers: {
      user: [marker, service, `probe_${tag}`],
      organization: [orgMarker, component],
      admin: [adminMarker, routingKey, key.key as string],
      members: [membersMarker]
    }
  }
}

/** Every row in the tables the owned rows live in, as JSON text, to compare before and after. */
export async function snapshotOwnedTables(sql: Sql): Promise<Record<string, string[]>> {
  const tables = [
    'system_health_events',
    'anomaly_signals',
    'recovery_actions',
    'selftest_results',
    'components',
    'circuit_breakers',
    'escalation_events',
    'decision_audit_log',
    'ingest_keys',
    'notification_channels',
    'notification_outbox',
    'predictive_alerts',
    'silences',
    'deployments',
    'runbooks',
    'runbook_runs',
    'runbook_run_steps'
  ]
  const snapshot: Record<string, string[]> = {}
  for (const table of tables) {
    const rows = await sql<Array<{ row: string }>>`select row_to_json(t)::text as row from ${sql(table)} t order by 1`
    snapshot[table] = rows.map(r => r.row)
  }
  return snapshot
}

/** A path value of the same form that names nothing. */
export function unknownPathValue(resource: keyof OwnedRows['ids']): string {
  return resource === 'components' || resource === 'circuit-breakers' || resource === 'runbooks'
    ? `missing-${randomBytes(4).toString('hex')}`
    : randomUUID()
}
