// Runbook runs as callers see them (under row-level security: their organization's), a run with
// its steps, each step with its action's status and what its verification saw.
import type { Caller } from '../../db/caller.js'
import { decodeCursor, toPage, type Page } from '../../db/pagination.js'
import type { Db } from '../../db/port.js'
import { listRows } from '../../db/rows.js'
import { findRun, stepsOf, type StepRow } from '../../db/runbook-runs.js'
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
  return toPage(await db.asCaller(caller, async tx => await listRows<RunbookRunRow>(tx, 'runbook_runs', query)), limit)
}

export async function getRun(
  db: Db,
  caller: Caller,
  organizationId: string,
  id: string
): Promise<RunbookRunRow & { steps: StepRow[] }> {
  const found = await db.asCaller(caller, async tx => {
    const run = await findRun(tx, id)
    return run === undefined || run.organization_id !== organizationId
      ? undefined
      : { ...run, steps: await stepsOf(tx, id) }
  })
  if (found === undefined) throw new errors.NotFound(`runbook run ${id} not found`)
  return found
}
