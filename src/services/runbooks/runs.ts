// Runbook runs as callers see them (under row-level security: their organization's), a run with
// its steps, each step with its action's status and what its verification saw.
import type { Caller } from '../../db/caller.js'
import { decodeCursor, toPage, type Page } from '../../db/pagination.js'
import type { Db } from '../../db/port.js'
import { listRows } from '../../db/rows.js'
import { findRun, readableAnomalyIds, stepsOf, type StepRow } from '../../db/runbook-runs.js'
import type { Tx } from '../../db/client.js'
import { errors } from '../../errors.js'
import type { RunbookRunRow } from '../../schemas/runbooks.js'

export interface RunFilters {
  status?: string | undefined
  runbook_name?: string | undefined
  component_name?: string | undefined
  anomaly_id?: string | undefined
}

export async function pageRuns(
  db: Db,
  caller: Caller,
  organizationId: string,
  filters: RunFilters,
  cursor: string | undefined,
  limit: number
): Promise<Page<RunbookRunRow>> {
  const query = {
    equals: { ...filters, organization_id: organizationId },
    cursor: cursor === undefined ? undefined : decodeCursor(cursor),
    limit
  }
  const rows = await db.asCaller(caller, async tx => {
    // Asking by a signal the caller may not read finds nothing, as for a signal that does not exist.
    if (
      filters.anomaly_id !== undefined &&
      !(await readableAnomalyIds(tx, [filters.anomaly_id])).has(filters.anomaly_id)
    )
      return []
    return await withReadableAnomalies(tx, await listRows<RunbookRunRow>(tx, 'runbook_runs', query))
  })
  return toPage(rows, limit)
}

// A run is its organization's, but the signal that started it may be one member's: the others
// see the run without that signal's id.
async function withReadableAnomalies<Run extends RunbookRunRow>(tx: Tx, runs: Run[]): Promise<Run[]> {
  const ids = runs.flatMap(run => (run.anomaly_id === null ? [] : [run.anomaly_id]))
  if (ids.length === 0) return runs
  const readable = await readableAnomalyIds(tx, ids)
  return runs.map(run => (run.anomaly_id === null || readable.has(run.anomaly_id) ? run : { ...run, anomaly_id: null }))
}

export async function getRun(
  db: Db,
  caller: Caller,
  organizationId: string,
  id: string
): Promise<RunbookRunRow & { steps: StepRow[] }> {
  const found = await db.asCaller(caller, async tx => {
    const run = await findRun(tx, id)
    if (run === undefined || run.organization_id !== organizationId) return undefined
    const [visible = run] = await withReadableAnomalies(tx, [run])
    return { ...visible, steps: await stepsOf(tx, id) }
  })
  if (found === undefined) throw new errors.NotFound(`runbook run ${id} not found`)
  return found
}
