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

interface Tally {
  id: string
  severity: string
  fingerprints: Set<string>
  /** Fingerprints that joined since the signal was read: historical_occurrences grows by as many. */
  joined: number
  /** The latest firing alert's labels, annotations and links; undefined while none fired. */
  alert: Record<string, unknown> | undefined
  dirty: boolean
}

const tallyOf = (id: string, severity: string, fingerprints: Iterable<string>): Tally => ({
  id,
  severity,
  fingerprints: new Set(fingerprints),
  joined: 0,
  alert: undefined,
  dirty: false
})

/** A signal within the payload's organization: its component and anomaly type. */
const keyOf = (componentName: string, anomalyType: string): string => `${componentName}\u0000${anomalyType}`

/**
 * One payload's alerts against their signals. Each active signal is read (and locked) once, the
 * alerts change it in memory, and it is written once: per alert, reading and rewriting the set
 * of fingerprints made a message of 1000 alerts cost 1000 rewrites of an ever longer array, past
 * the request deadline once a signal held some 10,000 of them. A repeat (every repeat_interval)
 * costs nothing but the final write of the time last seen.
 */
export class AlertSignalBatch {
  private readonly signals = new Map<string, Tally | null>()

  constructor(
    private readonly tx: Tx,
    private readonly organizationId: string | null
  ) {}

  private async load(componentName: string, anomalyType: string): Promise<Tally | null> {
    const key = keyOf(componentName, anomalyType)
    const known = this.signals.get(key)
    if (known !== undefined) return known
    const row = await activeSignal(this.tx, this.organizationId, componentName, anomalyType)
    const tally = row === undefined ? null : tallyOf(row.id, row.severity, row.fingerprints)
    this.signals.set(key, tally)
    return tally
  }

  /** Opens the signal for a firing alert, or adds the alert to the active one. */
  async fire(draft: AlertSignalDraft): Promise<AlertSignalChange> {
    const key = keyOf(draft.source_component_name, draft.anomaly_type)
    let tally = await this.load(draft.source_component_name, draft.anomaly_type)
    if (tally === null) {
      const id = await insertSignal(this.tx, draft)
      if (id !== undefined) {
        this.signals.set(key, tallyOf(id, draft.severity, [draft.fingerprint]))
        return { id, change: 'opened' }
      }
      // Another request opened it between the two statements: join that one.
      this.signals.delete(key)
      tally = (await this.load(draft.source_component_name, draft.anomaly_type)) as Tally
    }
    const known = tally.fingerprints.has(draft.fingerprint)
    const higher = (SEVERITY_RANK[draft.severity] ?? 0) > (SEVERITY_RANK[tally.severity] ?? 0)
    if (!known) {
      tally.fingerprints.add(draft.fingerprint)
      tally.joined++
    }
    if (higher) tally.severity = draft.severity
    tally.alert = draft.alert
    tally.dirty = true
    return { id: tally.id, change: known && !higher ? 'unchanged' : 'updated' }
  }

  /**
   * Takes a resolved alert off its signal, resolving the signal (written at once, so a later
   * firing alert of the payload opens a new one) when no alert of it still fires. Undefined when
   * no active signal holds the alert (already resolved: a repeat).
   */
  async resolve(
    componentName: string,
    anomalyType: string,
    fingerprint: string,
    endsAt: Date
  ): Promise<{ id: string; resolved: boolean } | undefined> {
    const tally = await this.load(componentName, anomalyType)
    if (tally === null || !tally.fingerprints.delete(fingerprint)) return undefined
    if (tally.fingerprints.size > 0) {
      tally.dirty = true
      return { id: tally.id, resolved: false }
    }
    await this.write(tally, endsAt)
    this.signals.set(keyOf(componentName, anomalyType), null)
    return { id: tally.id, resolved: true }
  }

  /** Writes every signal the payload changed. */
  async flush(): Promise<void> {
    for (const tally of this.signals.values()) if (tally?.dirty === true) await this.write(tally, undefined)
  }

  private async write(tally: Tally, resolvedAt: Date | undefined): Promise<void> {
    const tx = this.tx
    const fingerprints = [...tally.fingerprints]
    const metadata =
      tally.alert === undefined
        ? tx`jsonb_set(metadata, '{alertmanager,fingerprints}', ${tx.json(fingerprints)})`
        : tx`jsonb_set(metadata, '{alertmanager}', ${tx.json({ ...tally.alert, fingerprints } as never)})`
    const resolved = resolvedAt !== undefined
    await tx`
      update anomaly_signals set
        last_observed_at = case when ${tally.alert !== undefined} then now() else last_observed_at end,
        severity = ${tally.severity},
        historical_occurrences = historical_occurrences + ${tally.joined},
        metadata = ${metadata},
        status = case when ${resolved} then 'resolved' else status end,
        resolved_at = case when ${resolved} then greatest(${resolvedAt ?? null}::timestamptz, detection_timestamp) else resolved_at end,
        resolution_notes = case when ${resolved} then 'Resolved in Alertmanager' else resolution_notes end
      where id = ${tally.id}`
    tally.joined = 0
    tally.dirty = false
  }
}
