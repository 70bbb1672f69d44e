// Where a silence takes effect: a signal that a silence in force matches is marked held (the
// silence's id, and until when: the silence's end or its current window's), and the hold is
// written to decision_audit_log. The detector holds the signals it writes; the healing engine
// holds any other before it decides, and skips a held signal until its hold ends, when it is
// decided as if new: acted on, or escalated.
import type { Tx } from '../../db/client.js'
import { recordDecision } from '../../db/decision-audit-log.js'
import { holdSignal, silencesInForce } from '../../db/silences.js'
import type { AnomalyRow } from '../../schemas/anomalies.js'
import { silences, type SignalFields } from './matchers.js'
import { windowAt } from './recurrence.js'
import { SILENCES } from './silences.js'

export interface SilenceHold {
  silence_id: string
  until: Date
  comment: string
}

type HeldRow = Pick<
  AnomalyRow,
  | 'id'
  | 'organization_id'
  | 'user_id'
  | 'source_component_name'
  | 'source_component_type'
  | 'source_type'
  | 'anomaly_type'
  | 'severity'
  | 'metadata'
> & { silence_id?: string | null; silenced_until?: string | null }

function stringsOf(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {}
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string')
  )
}

/** What matchers see of a signal: its fields, and the labels of the Alertmanager alert behind it. */
export function signalFields(row: HeldRow): SignalFields {
  const metadata = row.metadata as Record<string, unknown>
  const alert = metadata.alertmanager as { labels?: unknown } | undefined
  const labels = stringsOf(alert?.labels)
  const environment = typeof metadata.environment === 'string' ? metadata.environment : undefined
  return {
    component_name: row.source_component_name ?? row.source_type,
    component_type: row.source_component_type,
    anomaly_type: row.anomaly_type,
    severity: row.severity,
    environment: environment ?? labels.environment ?? labels.env ?? null,
    labels
  }
}

/** The silence holding the signal at `at` (the one whose hold lasts longest), or null. */
export async function silenceHolding(tx: Tx, row: HeldRow, at: Date): Promise<SilenceHold | null> {
  if (row.organization_id === null) return null
  const fields = signalFields(row)
  let best: SilenceHold | null = null
  for (const silence of await silencesInForce(tx, row.organization_id, at)) {
    if (!silences(silence.matchers, fields)) continue
    const startsAt = new Date(silence.starts_at)
    const endsAt = new Date(silence.ends_at)
    const until = silence.recurrence === null ? endsAt : windowAt(silence.recurrence, startsAt, endsAt, at)?.end
    if (until === undefined) continue
    if (best === null || until > best.until) best = { silence_id: silence.id, until, comment: silence.comment }
  }
  return best
}

/** Holds the signal if a silence matches it, recording a new hold in the audit log. */
export async function holdIfSilenced(tx: Tx, row: HeldRow, at: Date, actor: string): Promise<SilenceHold | null> {
  const hold = await silenceHolding(tx, row, at)
  if (hold === null) return null
  const already =
    row.silence_id === hold.silence_id &&
    row.silenced_until !== null &&
    row.silenced_until !== undefined &&
    new Date(row.silenced_until).getTime() === hold.until.getTime()
  if (already) return hold
  await holdSignal(tx, row.id, hold.silence_id, hold.until)
  await recordDecision(tx, {
    decision_type: 'guard_held',
    component: SILENCES,
    subject_type: 'anomaly_signal',
    subject_id: row.id,
    user_id: row.user_id,
    organization_id: row.organization_id,
    input: { anomaly_type: row.anomaly_type, severity: row.severity, component_name: signalFields(row).component_name },
    decision: { held_by: 'silence', silence_id: hold.silence_id, held_until: hold.until.toISOString() },
    outcome: 'held_silence',
    reasoning: `held by silence ${hold.silence_id} until ${hold.until.toISOString()}: ${hold.comment}`,
    actor
  })
  return hold
}
