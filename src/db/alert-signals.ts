// Anomaly signals fed by Alertmanager. An alert is known by its fingerprint; several alerts
// (one per instance, say) can share the one active signal of their component and alert name,
// so the signal keeps the set of fingerprints still firing and resolves when the last resolves.
import type { Tx } from './client.js'

export interface AlertSignalDraft {
  organization_id: string | null
  anomaly_type: string
  severity: string
  source_component_type: string
  source_component_name: string
  anomaly_description: string | null
  anomaly_summary: string | null
  detection_timestamp: Date
  /** The alert's labels, annotations and links, kept under metadata.alertmanager. */
  alert: Record<string, unknown>
  fingerprint: string
}

export interface AlertSignalChange {
  id: string
  /** opened: a new signal; updated: a new fingerprint or a higher severity; unchanged: a repeat. */
  change: 'opened' | 'updated' | 'unchanged'
}

interface ActiveAlertSignal {
  id: string
  severity: string
  fingerprints: string[]
}

const SEVERITY_RANK: Record<string, number> = { low: 0, medium: 1, high: 2, critical: 3 }

async function activeSignal(
  tx: Tx,
  organizationId: string | null,
  componentName: string,
  anomalyType: string
): Promise<ActiveAlertSignal | undefined> {
  const [row] = await tx<ActiveAlertSignal[]>`
    select id, severity, coalesce(array(select jsonb_array_elements_text(metadata #> '{alertmanager,fingerprints}')), '{}') as fingerprints
    from anomaly_signals
    where organization_id is not distinct from ${organizationId}::uuid and source_component_name = ${componentName}
      and anomaly_type = ${anomalyType} and status in ('open', 'acknowledged', 'investigating')
    for update`
  return row
}

async function insertSignal(tx: Tx, draft: AlertSignalDraft): Promise<string | undefined> {
  const [row] = await tx<Array<{ id: string }>>`
    insert into anomaly_signals (organization_id, anomaly_type, anomaly_category, severity, source_type, source_component_type,
      source_component_name, anomaly_description, anomaly_summary, affected_components, detection_method, detection_algorithm,
      detection_timestamp, last_observed_at, metadata)
    values (${draft.organization_id}, ${draft.anomaly_type}, 'alert', ${draft.severity}, 'alertmanager', ${draft.source_component_type},
      ${draft.source_component_name}, ${draft.anomaly_description}, ${draft.anomaly_summary}, ${[draft.source_component_name]},
      'alertmanager', 'Prometheus alerting rule', ${draft.detection_timestamp}, now(),
      ${tx.json({ alertmanager: { ...draft.alert, fingerprints: [draft.fingerprint] } } as never)})
    on conflict (organization_id, source_component_name, anomaly_type) where status in ('open', 'acknowledged', 'investigating') do nothing
    returning id`
  return row?.id
}

/** Opens the signal for a firing alert, or adds the alert to the active one. A repeat changes nothing but the time last seen. */
export async function fireAlertSignal(tx: Tx, draft: AlertSignalDraft): Promise<AlertSignalChange> {
  let active = await activeSignal(tx, draft.organization_id, draft.source_component_name, draft.anomaly_type)
  if (active === undefined) {
    const id = await insertSignal(tx, draft)
    if (id !== undefined) return { id, change: 'opened' }
    // Another request opened it between the two statements: join that one.
    active = (await activeSignal(
      tx,
      draft.organization_id,
      draft.source_component_name,
      draft.anomaly_type
    )) as ActiveAlertSignal
  }
  const known = active.fingerprints.includes(draft.fingerprint)
  const higher = (SEVERITY_RANK[draft.severity] ?? 0) > (SEVERITY_RANK[active.severity] ?? 0)
  const fingerprints = known ? active.fingerprints : [...active.fingerprints, draft.fingerprint]
  await tx`
    update anomaly_signals set
      last_observed_at = now(),
      severity = ${higher ? draft.severity : active.severity},
      historical_occurrences = historical_occurrences + ${known ? 0 : 1},
      metadata = jsonb_set(metadata, '{alertmanager}', ${tx.json({ ...draft.alert, fingerprints } as never)})
    where id = ${active.id}`
  return { id: active.id, change: known && !higher ? 'unchanged' : 'updated' }
}

/**
 * Takes a resolved alert off its signal, resolving the signal when no alert of it still fires.
 * Undefined when no active signal holds the alert (already resolved: a repeat).
 */
export async function resolveAlertSignal(
  tx: Tx,
  organizationId: string | null,
  componentName: string,
  anomalyType: string,
  fingerprint: string,
  endsAt: Date
): Promise<{ id: string; resolved: boolean } | undefined> {
  const active = await activeSignal(tx, organizationId, componentName, anomalyType)
  if (active === undefined || !active.fingerprints.includes(fingerprint)) return undefined
  const firing = active.fingerprints.filter(each => each !== fingerprint)
  const resolved = firing.length === 0
  await tx`
    update anomaly_signals set
      metadata = jsonb_set(metadata, '{alertmanager,fingerprints}', ${tx.json(firing)}),
      status = case when ${resolved} then 'resolved' else status end,
      resolved_at = case when ${resolved} then greatest(${endsAt}::timestamptz, detection_timestamp) else resolved_at end,
      resolution_notes = case when ${resolved} then 'Resolved in Alertmanager' else resolution_notes end
    where id = ${active.id}`
  return { id: active.id, resolved }
}
