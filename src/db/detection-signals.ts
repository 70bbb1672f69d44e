// The detector's side of anomaly_signals: the active signals and recent resolutions a run plans
// against, and its writes (open or repeat through the shared upsert, resolve, link overlapping
// signals, store analyses). Every read takes the evaluation time, so a backtest at `at` sees the
// signals as they stood then.
import {
  ACTIVE_STATUSES,
  repeatAssignments,
  upsertActiveSignals,
  type RepeatRule,
  type SignalColumn,
  type UpsertedSignal
} from './active-signals.js'
import type { Tx } from './client.js'
import type { AnomalyRow } from '../schemas/anomalies.js'

export interface ActiveSignal {
  id: string
  organization_id: string | null
  source_component_name: string | null
  anomaly_type: string
  severity: string
  flapping: boolean
  detected_at: number
  last_observed_at: number | null
  /** Set on the detector's own signals: the metric it watched. */
  metric: string | null
}

/** Active signals as they stood at `at`: none detected after it. */
export async function activeSignals(tx: Tx, at: Date, componentName: string | undefined): Promise<ActiveSignal[]> {
  return await tx<ActiveSignal[]>`
    select id, organization_id, source_component_name, anomaly_type, severity, flapping,
      extract(epoch from detection_timestamp)::float8 * 1000 as detected_at,
      extract(epoch from last_observed_at)::float8 * 1000 as last_observed_at,
      metadata->>'metric' as metric
    from anomaly_signals
    where status in ${tx(ACTIVE_STATUSES)} and detection_timestamp <= ${at}
      ${componentName === undefined ? tx`` : tx`and source_component_name = ${componentName}`}`
}

export interface ResolutionCount {
  organization_id: string | null
  source_component_name: string
  anomaly_type: string
  resolutions: number
}

/** How often the detector closed each component's signals in the period before `at`. */
export async function recentAutoResolutions(tx: Tx, since: Date, at: Date): Promise<ResolutionCount[]> {
  return await tx<ResolutionCount[]>`
    select organization_id, source_component_name, anomaly_type, count(*)::int as resolutions
    from anomaly_signals
    where detection_timestamp >= ${since} and detection_timestamp <= ${at}
      and status = 'resolved' and resolved_at > ${since} and resolved_at <= ${at}
      and metadata @> '{"auto_resolved": true}'
    group by organization_id, source_component_name, anomaly_type`
}

export interface RecentResolution {
  organization_id: string | null
  source_component_name: string
  anomaly_type: string
  /** The latest resolution, epoch ms. */
  resolved_at: number
}

/** When each component's signals were last closed (resolved, or judged a false positive) in (since, at]. */
export async function recentResolutions(tx: Tx, since: Date, at: Date): Promise<RecentResolution[]> {
  return await tx<RecentResolution[]>`
    select organization_id, source_component_name, anomaly_type, extract(epoch from max(resolved_at))::float8 * 1000 as resolved_at
    from anomaly_signals
    where resolved_at > ${since} and resolved_at <= ${at} and source_component_name is not null
    group by organization_id, source_component_name, anomaly_type`
}

export interface ReopenableSignal {
  id: string
  organization_id: string | null
  source_component_name: string
  anomaly_type: string
  /** Epoch ms. */
  resolved_at: number
  /** How often the detector has reopened it already. */
  reopened: number
}

/**
 * Each component's latest resolution in (since, at], when the detector made it: a breach after it
 * reopens that signal. A person's or healing's resolution is a decision and is never undone.
 */
export async function reopenableSignals(tx: Tx, since: Date, at: Date): Promise<ReopenableSignal[]> {
  return await tx<ReopenableSignal[]>`
    select id, organization_id, source_component_name, anomaly_type, resolved_at, reopened
    from (
      select distinct on (organization_id, source_component_name, anomaly_type)
        id, organization_id, source_component_name, anomaly_type, status, metadata,
        extract(epoch from resolved_at)::float8 * 1000 as resolved_at,
        coalesce((metadata->>'reopened')::int, 0) as reopened
      from anomaly_signals
      where resolved_at > ${since} and resolved_at <= ${at} and detection_timestamp <= ${at}
        and source_component_name is not null
      order by organization_id, source_component_name, anomaly_type, resolved_at desc
    ) latest
    where status = 'resolved' and metadata @> '{"auto_resolved": true}'`
}

export const SIGNAL_COLUMNS = [
  'user_id',
  'organization_id',
  'anomaly_type',
  'anomaly_category',
  'severity',
  'confidence_score',
  'source_type',
  'source_id',
  'source_component_type',
  'source_component_name',
  'anomaly_description',
  'baseline_value',
  'observed_value',
  'deviation_percentage',
  'threshold_exceeded',
  'pattern_type',
  'pattern_duration_seconds',
  'pattern_frequency',
  'affected_components',
  'detection_method',
  'detection_algorithm',
  'detection_timestamp',
  'last_observed_at',
  'flapping',
  'metadata'
] as const satisfies readonly SignalColumn[]

export type SignalDraft = Record<(typeof SIGNAL_COLUMNS)[number], unknown>

// A repeat carries the latest evidence; confidence and flapping never step back, and the pattern's
// duration spans the whole episode.
const DETECTOR_REPEAT: RepeatRule = {
  replace: [
    'observed_value',
    'baseline_value',
    'deviation_percentage',
    'threshold_exceeded',
    'pattern_type',
    'pattern_frequency',
    'detection_algorithm'
  ],
  keepHighest: ['confidence_score', 'flapping'],
  spanDuration: true
}

/**
 * Reopens auto-resolved signals (`id`) with a draft each, as a repeat of the signal would update
 * it (DETECTOR_REPEAT), counting the reopening in metadata.reopened. A signal no longer resolved,
 * or whose component has another active signal of its type by now, is left alone: the caller
 * opens or repeats a signal for those drafts instead. So is every one when another run opened an
 * active signal for one of them while this statement ran (the active-signal key's unique
 * violation, undone to a savepoint).
 */
export async function reopenSignals(
  tx: Tx,
  reopenings: Array<SignalDraft & { id: string }>
): Promise<UpsertedSignal[]> {
  if (reopenings.length === 0) return []
  try {
    return await tx.savepoint(async savepoint => {
      // Only this statement may move a resolved signal back to open (migration 0146).
      await savepoint`select set_config('core314.reopening', 'on', true)`
      const reopened = await reopenStatement(savepoint, reopenings)
      await savepoint`select set_config('core314.reopening', '', true)`
      return reopened
    })
  } catch (error) {
    if ((error as { code?: unknown }).code === '23505') return []
    throw error
  }
}

async function reopenStatement(tx: Tx, reopenings: Array<SignalDraft & { id: string }>): Promise<UpsertedSignal[]> {
  return await tx<UpsertedSignal[]>`
    update anomaly_signals s set
      status = 'open', resolution_notes = null,
      ${repeatAssignments(
        tx,
        DETECTOR_REPEAT,
        's',
        'r',
        tx`jsonb_build_object('auto_resolved', false, 'reopened', coalesce((s.metadata->>'reopened')::int, 0) + 1)`
      )}
    from jsonb_populate_recordset(null::anomaly_signals, ${tx.json(reopenings as never)}) r
    where s.id = r.id and s.status = 'resolved'
      and not exists (
        select from anomaly_signals a
        where a.organization_id is not distinct from s.organization_id
          and a.source_component_name = s.source_component_name and a.anomaly_type = s.anomaly_type
          and a.status in ${tx(ACTIVE_STATUSES)})
    returning s.*, false as inserted`
}

/** Opens or repeats each draft's signal (upsertActiveSignals, with the detector's repeat rule). */
export async function upsertSignals(tx: Tx, drafts: SignalDraft[]): Promise<UpsertedSignal[]> {
  return await upsertActiveSignals(tx, SIGNAL_COLUMNS, drafts, DETECTOR_REPEAT)
}

export interface Resolution {
  id: string
  notes: string
}

export async function resolveSignals(tx: Tx, resolutions: Resolution[], at: Date): Promise<AnomalyRow[]> {
  if (resolutions.length === 0) return []
  return await tx<AnomalyRow[]>`
    update anomaly_signals s
    set status = 'resolved', resolved_at = ${at}, resolution_notes = r.notes,
      metadata = s.metadata || '{"auto_resolved": true}'
    from jsonb_to_recordset(${tx.json(resolutions as never)}) as r(id uuid, notes text)
    where s.id = r.id and s.status in ${tx(ACTIVE_STATUSES)}
    returning s.*`
}

/**
 * Links each of `ids` with the signals of other components in the same organization whose active
 * periods (detection to resolution or last observation, widened by `slackMinutes`) overlap its
 * own, in both directions, so find_correlated_anomalies returns them from either side.
 */
export async function linkOverlapping(tx: Tx, ids: string[], at: Date, slackMinutes: number): Promise<void> {
  if (ids.length === 0) return
  await tx`
    with touched as (
      select * from anomaly_signals where id = any(${ids}::uuid[])
    ), pairs as (
      select t.id as a, o.id as b
      from touched t
      join anomaly_signals o
        on o.id <> t.id
        and o.source_component_name is distinct from t.source_component_name
        and o.organization_id is not distinct from t.organization_id
        and o.status <> 'false_positive'
        and o.detection_timestamp <= ${at}
        and (o.status in ${tx(ACTIVE_STATUSES)} or o.detection_timestamp >= t.detection_timestamp - interval '1 day')
        and o.detection_timestamp <= coalesce(t.resolved_at, t.last_observed_at, t.detection_timestamp) + make_interval(mins => ${slackMinutes})
        and coalesce(o.resolved_at, o.last_observed_at, o.detection_timestamp) + make_interval(mins => ${slackMinutes}) >= t.detection_timestamp
    ), both_ways as (
      select a as id, b as other from pairs
      union
      select b, a from pairs
    ), grouped as (
      select id, array_agg(other) as others from both_ways group by id
    )
    update anomaly_signals s
    set related_anomaly_ids = array(select distinct unnest(s.related_anomaly_ids || g.others))
    from grouped g
    where s.id = g.id and not (s.related_anomaly_ids @> g.others)`
}

export interface AnalysisColumns {
  id: string
  anomaly_summary: string
  root_cause_analysis: string
  recommended_actions: unknown[]
  business_impact: string
  detection_method: string
  gpt4o_prompt: string | null
  gpt4o_response: string | null
  gpt4o_model: string | null
  gpt4o_tokens_used: number | null
  gpt4o_analysis_duration_ms: number | null
  metadata: Record<string, unknown>
}

export async function storeAnalyses(tx: Tx, analyses: AnalysisColumns[]): Promise<void> {
  if (analyses.length === 0) return
  await tx`
    update anomaly_signals s
    set anomaly_summary = a.anomaly_summary, root_cause_analysis = a.root_cause_analysis,
      recommended_actions = a.recommended_actions, business_impact = a.business_impact,
      detection_method = a.detection_method, gpt4o_prompt = a.gpt4o_prompt, gpt4o_response = a.gpt4o_response,
      gpt4o_model = a.gpt4o_model, gpt4o_tokens_used = a.gpt4o_tokens_used,
      gpt4o_analysis_duration_ms = a.gpt4o_analysis_duration_ms, metadata = s.metadata || a.metadata
    from jsonb_to_recordset(${tx.json(analyses as never)}) as a(
      id uuid, anomaly_summary text, root_cause_analysis text, recommended_actions jsonb, business_impact text,
      detection_method text, gpt4o_prompt text, gpt4o_response text, gpt4o_model text, gpt4o_tokens_used integer,
      gpt4o_analysis_duration_ms numeric, metadata jsonb)
    where s.id = a.id`
}

export async function signalsById(tx: Tx, ids: string[]): Promise<AnomalyRow[]> {
  if (ids.length === 0) return []
  return await tx<
    AnomalyRow[]
  >`select * from anomaly_signals where id = any(${ids}::uuid[]) order by detection_timestamp desc, id`
}
