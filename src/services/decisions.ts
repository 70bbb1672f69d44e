// The audit trail (decision_audit_log) as callers see it: read under RLS, filtered by subject,
// the part that decided, the kind of decision and time.
import { visibleOwner, type Caller } from '../db/caller.js'
import { decodeCursor, toPage, type Page } from '../db/pagination.js'
import { findRow, listRows } from '../db/rows.js'
import type { Db } from '../db/port.js'
import type { DecisionView } from '../schemas/decisions.js'
import { errors } from '../errors.js'

export interface DecisionFilters {
  subject_type?: string | undefined
  subject_id?: string | undefined
  component?: string | undefined
  decision_type?: string | undefined
  since?: string | undefined
  until?: string | undefined
}

export async function pageDecisions(
  db: Db,
  caller: Caller,
  filters: DecisionFilters,
  cursor: string | undefined,
  limit: number
): Promise<Page<DecisionView>> {
  const { since, until, ...equals } = filters
  const query = {
    equals: { ...equals, user_id: visibleOwner(caller) },
    since,
    until,
    cursor: cursor === undefined ? undefined : decodeCursor(cursor),
    limit
  }
  return toPage(
    await db.asCaller(caller, async tx => await listRows<DecisionView>(tx, 'decision_audit_log', query)),
    limit
  )
}

export async function getDecision(db: Db, caller: Caller, id: string): Promise<DecisionView> {
  const row = await db.asCaller(caller, async tx => await findRow<DecisionView>(tx, 'decision_audit_log', id))
  if (row === undefined) throw new errors.DecisionNotFound(`decision ${id} not found`)
  return row
}
