// Keeps the detector's rolled-up history (health_event_rollups) current: the detect job calls it
// after each run, so the run itself never waits on it and the ingest path never pays for it. Hours
// are hours of event time. Each pass rolls up the hours that closed more than rollupSettleMinutes
// ago and are not rolled up yet, oldest first and at most rollupHoursPerRun of them; rolls up
// again every hour already rolled up that a late event (a backfill, a buffering agent) arrived in
// since the last pass, so the late event counts exactly as if it had arrived on time; and drops
// hours older than the longest lookback. Until the next pass the detector reads such an hour
// without the late event: folding it in costs one pass (a minute with the detect job), not the ingest.
import { SERVICE_CALLER } from '../../db/caller.js'
import {
  deleteRollupsBefore,
  floorHour,
  lateCheckedFrom,
  rollUpHours,
  rollUpLateHours,
  rollupCoverage,
  ROLLUP_BUCKET_MS,
  saveRollupCoverage,
  tryLockRollup
} from '../../db/health-event-rollups.js'
import type { Db } from '../../db/port.js'
import { detectorSettings, type DetectorOverrides } from './settings.js'

// DETECT_LOOKBACK_HOURS' upper limit: backtests may look this far back and still read hours.
const RETAINED_MS = 168 * ROLLUP_BUCKET_MS

export interface RollupPass {
  /** Hours rolled up by this pass, as [from, until). */
  from: string | null
  until: string | null
  rows: number
  /** Hours rolled up again because late events arrived in them. */
  refolded: number
  deleted: number
  /** Another instance held the rollup: this pass did nothing. */
  skipped: boolean
}

export async function rollUpHistory(
  db: Db,
  overrides: DetectorOverrides = {},
  now: Date = new Date()
): Promise<RollupPass> {
  const settings = detectorSettings(overrides)
  return await db.asCaller(SERVICE_CALLER, async tx => {
    if (!(await tryLockRollup(tx))) return { from: null, until: null, rows: 0, refolded: 0, deleted: 0, skipped: true }
    const coverage = await rollupCoverage(tx)
    const settleMs = settings.rollupSettleMinutes * 60_000
    const checkedFrom = await lateCheckedFrom(tx)
    const refolded =
      coverage === null || checkedFrom === null
        ? 0
        : await rollUpLateHours(tx, checkedFrom, coverage.rolled_from, coverage.rolled_until)
    // A first pass starts at the start of the lookback: older history is read raw, as before.
    const start =
      coverage?.rolled_until.getTime() ??
      floorHour(now.getTime() - settings.lookbackHours * ROLLUP_BUCKET_MS - settings.windowMinutes * 60_000)
    const until = Math.min(
      floorHour(now.getTime() - settings.rollupSettleMinutes * 60_000),
      start + settings.rollupHoursPerRun * ROLLUP_BUCKET_MS
    )
    const rows = until > start ? await rollUpHours(tx, new Date(start), new Date(until)) : 0
    const keepFrom = floorHour(now.getTime()) - RETAINED_MS
    const rolledFrom = Math.max(coverage?.rolled_from.getTime() ?? start, Math.min(keepFrom, Math.max(until, start)))
    const deleted =
      rolledFrom > (coverage?.rolled_from.getTime() ?? start) ? await deleteRollupsBefore(tx, new Date(rolledFrom)) : 0
    await saveRollupCoverage(
      tx,
      { rolled_from: new Date(rolledFrom), rolled_until: new Date(Math.max(until, start)) },
      settleMs
    )
    return until > start
      ? {
          from: new Date(start).toISOString(),
          until: new Date(until).toISOString(),
          rows,
          refolded,
          deleted,
          skipped: false
        }
      : { from: null, until: null, rows, refolded, deleted, skipped: false }
  })
}
