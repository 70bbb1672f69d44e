// The anomaly signals self-tests raise. A signal is keyed like every other (organization,
// component, anomaly type: one active at a time, by the unique index), with the test as the
// component, so a test that keeps failing updates its open signal instead of opening another,
// and a test that passes again resolves it.
import { ACTIVE_STATUSES, upsertActiveSignals, type RepeatRule, type SignalColumn } from './active-signals.js'
import type { Tx } from './client.js'

export type SelftestAnomalyType = 'selftest_failure' | 'selftest_regression'

export interface SelftestSignal {
  anomaly_type: SelftestAnomalyType
  severity: string
  confidence_score: number
  source_id: string
  source_component_type: string
  source_component_name: string
  anomaly_description: string
  anomaly_summary: string
  recommended_actions: unknown[]
  baseline_value: number | null
  observed_value: number | null
  deviation_percentage: number | null
  detection_algorithm: string
  metadata: Record<string, unknown>
}

export interface RaisedSignal {
  id: string
  inserted: boolean
  historical_occurrences: number
}

// A repeat is the latest run of the test: it says what failed now and what to do about it. Runs
// overlap (two POST /v1/selftests/run, or one and the scheduled job), and each is stamped with
// its transaction's start, so the one that began later may commit first: the earlier one's
// failure still counts, but what the signal says stays the later run's.
const SELFTEST_REPEAT: RepeatRule = {
  replace: [
    'source_id',
    'anomaly_description',
    'anomaly_summary',
    'recommended_actions',
    'baseline_value',
    'observed_value',
    'deviation_percentage'
  ],
  outOfOrder: true
}

// Each result's signal writes happen in its own transaction, stamped with its start, and a run
// that began earlier may commit later. So that the signal ends as the latest result says, one
// test's signal writes take turns (the lock lasts until commit, and each statement after it sees
// what the previous holder committed), and each gives way to a newer result: a pass does not
// resolve a failure observed after it began, and a failure or regression a newer result has
// already put right opens nothing.
async function takeTurn(tx: Tx, componentName: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext('core314.selftest_signal'), hashtext(${componentName}))`
}

/** A result of the test stored after this transaction began that clears a signal of this type. */
async function clearedSince(tx: Tx, testName: string, anomalyType: SelftestAnomalyType): Promise<boolean> {
  const [row] = await tx<Array<{ cleared: boolean }>>`
    select exists (
      select 1 from selftest_results
      where test_name = ${testName} and created_at > now() and success
        and (${anomalyType} = 'selftest_failure' or not regression_detected)
    ) as cleared`
  return row?.cleared === true
}

/**
 * Opens the test's signal of this type or repeats the active one; undefined when a newer result
 * of the test has already cleared it.
 */
export async function raiseSignal(tx: Tx, testName: string, signal: SelftestSignal): Promise<RaisedSignal | undefined> {
  await takeTurn(tx, signal.source_component_name)
  if (await clearedSince(tx, testName, signal.anomaly_type)) return undefined
  // The transaction's time, as every other self-test write stamps it.
  const [clock] = await tx<Array<{ now: Date }>>`select now()`
  const draft: Partial<Record<SignalColumn, unknown>> = {
    ...signal,
    anomaly_category: 'selftest',
    source_type: 'selftest',
    detection_method: 'selftest',
    detection_timestamp: clock?.now,
    last_observed_at: clock?.now
  }
  const [row] = await upsertActiveSignals(tx, Object.keys(draft) as SignalColumn[], [draft], SELFTEST_REPEAT)
  if (row === undefined) throw new Error('anomaly signal was neither inserted nor updated')
  return { id: row.id, inserted: row.inserted, historical_occurrences: row.historical_occurrences }
}

/**
 * Resolves the test's active signal of this type, unless a newer result observed it; returns the
 * ids resolved.
 */
export async function resolveSignal(
  tx: Tx,
  componentName: string,
  anomalyType: SelftestAnomalyType,
  notes: string
): Promise<string[]> {
  await takeTurn(tx, componentName)
  const rows = await tx<{ id: string }[]>`
    update anomaly_signals set status = 'resolved', resolution_notes = ${notes}, last_observed_at = now()
    where organization_id is null and source_component_name = ${componentName} and anomaly_type = ${anomalyType}
      and source_type = 'selftest' and status in ${tx(ACTIVE_STATUSES)} and last_observed_at <= now()
    returning id`
  return rows.map(row => row.id)
}
