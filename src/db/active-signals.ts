// The one way a signal is opened or repeated: one active signal per organization, component and
// anomaly type (the partial unique index on anomaly_signals makes it atomic), so a repeat updates
// the active signal instead of paging again. The detector and the self-tests both write through
// here; each says which columns a repeat refreshes, and the rules every repeat follows (one more
// occurrence, the latest observation, the worse severity, metadata merged, never an older draft
// over a newer signal) live once.
import type { Tx } from './client.js'
import type { AnomalyRow } from '../schemas/anomalies.js'

export const ACTIVE_STATUSES = ['open', 'acknowledged', 'investigating'] as const

export type SignalColumn =
  | 'user_id'
  | 'organization_id'
  | 'anomaly_type'
  | 'anomaly_category'
  | 'severity'
  | 'confidence_score'
  | 'source_type'
  | 'source_id'
  | 'source_component_type'
  | 'source_component_name'
  | 'anomaly_description'
  | 'anomaly_summary'
  | 'recommended_actions'
  | 'baseline_value'
  | 'observed_value'
  | 'deviation_percentage'
  | 'threshold_exceeded'
  | 'pattern_type'
  | 'pattern_duration_seconds'
  | 'pattern_frequency'
  | 'affected_components'
  | 'detection_method'
  | 'detection_algorithm'
  | 'detection_timestamp'
  | 'last_observed_at'
  | 'flapping'
  | 'metadata'

/** What a repeat does to the active signal beyond the rules every repeat follows. */
export interface RepeatRule {
  /** Columns the repeat's value replaces. */
  replace: readonly SignalColumn[]
  /** Columns that keep the higher of the two values. */
  keepHighest?: readonly SignalColumn[]
  /** pattern_duration_seconds grows to span from the signal's detection to the latest observation. */
  spanDuration?: boolean
  /**
   * Drafts may meet the signal out of order: runs that overlap, the later one committing first.
   * A draft older than the signal then still repeats it, and the signal ends as if the drafts
   * had come in order: the earliest detection, and the observation, metadata and what `replace`
   * names of the latest draft. Without it, a draft detected before the signal is dropped (a
   * backtest meeting a live signal is no repeat of it).
   */
  outOfOrder?: boolean
}

export type UpsertedSignal = AnomalyRow & { inserted: boolean }

/**
 * The SET list of a repeat of the signal `current` by the draft `latest` (table aliases): one
 * more occurrence, the latest observation, the worse severity, the metadata merged, and what
 * `repeat` names, with `metadata` merged over the rest. Opening over an active signal and
 * reopening a resolved one both repeat it.
 */
export function repeatAssignments(
  tx: Tx,
  repeat: RepeatRule,
  current: string,
  latest: string,
  metadata?: ReturnType<Tx>
) {
  const [was, now] = [tx(current), tx(latest)]
  const inOrder = repeat.outOfOrder !== true
  // Out of order, the signal may hold the later observation: then its values stay.
  const draftIsLater = tx`coalesce(${now}.last_observed_at, ${now}.detection_timestamp)
    >= coalesce(${was}.last_observed_at, ${was}.detection_timestamp)`
  const latestOf = (column: SignalColumn) =>
    inOrder
      ? tx`${now}.${tx(column)}`
      : tx`case when ${draftIsLater} then ${now}.${tx(column)} else ${was}.${tx(column)} end`
  const merged = inOrder
    ? tx`${was}.metadata || ${now}.metadata`
    : tx`case when ${draftIsLater} then ${was}.metadata || ${now}.metadata else ${now}.metadata || ${was}.metadata end`
  const detected = inOrder
    ? tx`${was}.detection_timestamp`
    : tx`least(${was}.detection_timestamp, ${now}.detection_timestamp)`
  return [
    tx`historical_occurrences = ${was}.historical_occurrences + 1`,
    tx`last_observed_at = ${latestOf('last_observed_at')}`,
    ...(inOrder ? [] : [tx`detection_timestamp = ${detected}`]),
    tx`severity = case when core314.severity_rank(${now}.severity) > core314.severity_rank(${was}.severity)
      then ${now}.severity else ${was}.severity end`,
    tx`metadata = ${merged}${metadata === undefined ? tx`` : tx` || ${metadata}`}`,
    ...repeat.replace.map(column => tx`${tx(column)} = ${latestOf(column)}`),
    ...(repeat.keepHighest ?? []).map(
      column => tx`${tx(column)} = greatest(${was}.${tx(column)}, ${now}.${tx(column)})`
    ),
    ...(repeat.spanDuration === true
      ? [
          tx`pattern_duration_seconds = greatest(${now}.pattern_duration_seconds,
            extract(epoch from ${latestOf('last_observed_at')} - ${detected}))`
        ]
      : [])
  ].reduce((list, assignment) => tx`${list}, ${assignment}`)
}

/**
 * Opens each draft's signal, or repeats the active one of the same organization, component and
 * type: one more occurrence, the latest observation, the worse severity, the metadata merged, and
 * what `repeat` names. A signal detected after the draft (a live one, met by a backtest) is left
 * alone and the draft is dropped, unless `repeat` takes drafts out of order.
 */
export async function upsertActiveSignals(
  tx: Tx,
  columns: readonly SignalColumn[],
  drafts: ReadonlyArray<Partial<Record<SignalColumn, unknown>>>,
  repeat: RepeatRule
): Promise<UpsertedSignal[]> {
  if (drafts.length === 0) return []
  // The drafts go as one JSON parameter read back as the table's rows, so the statement is the
  // same text for any number of drafts: a VALUES list made one prepared statement per count on
  // every pooled connection, kept for the connection's life (postgres.js caches them by text).
  const list = tx([...columns])
  return await tx<UpsertedSignal[]>`
    insert into anomaly_signals (${list})
    select ${list} from jsonb_populate_recordset(null::anomaly_signals, ${tx.json(drafts as never)})
    on conflict (organization_id, source_component_name, anomaly_type) where status in ('open', 'acknowledged', 'investigating')
    do update set ${repeatAssignments(tx, repeat, 'anomaly_signals', 'excluded')}
    ${repeat.outOfOrder === true ? tx`` : tx`where anomaly_signals.detection_timestamp <= excluded.detection_timestamp`}
    returning *, (xmax = 0) as inserted`
}
