// Escalations as people see them: listed and read under RLS (owners their own, admins and
// services all), acknowledged and resolved by their owner, an admin or a service. Repeating a
// move already made returns the row unchanged; acknowledging a resolved escalation is 409.
import { visibleOwner, type Caller } from '../db/caller.js'
import { moveEscalation } from '../db/escalation-events.js'
import { decodeCursor, toPage, type Page } from '../db/pagination.js'
import { findRow, listRows } from '../db/rows.js'
import type { Db } from '../db/port.js'
import type { EscalationView } from '../schemas/escalations.js'
import { errors } from '../errors.js'

export interface EscalationFilters {
  status?: string | undefined
  severity?: string | undefined
  source_type?: string | undefined
  since?: string | undefined
}

export async function pageEscalations(
  db: Db,
  caller: Caller,
  filters: EscalationFilters,
  cursor: string | undefined,
  limit: number
): Promise<Page<EscalationView>> {
  const { since, ...equals } = filters
  const query = {
    equals: { ...equals, user_id: visibleOwner(caller) },
    since,
    cursor: cursor === undefined ? undefined : decodeCursor(cursor),
    limit
  }
  return toPage(
    await db.asCaller(caller, async tx => await listRows<EscalationView>(tx, 'escalation_events', query)),
    limit
  )
}

export async function getEscalation(db: Db, caller: Caller, id: string): Promise<EscalationView> {
  const row = await db.asCaller(caller, async tx => await findRow<EscalationView>(tx, 'escalation_events', id))
  if (row === undefined) throw new errors.EscalationNotFound(`escalation ${id} not found`)
  return row
}

export async function changeEscalation(
  db: Db,
  caller: Caller,
  id: string,
  to: 'acknowledged' | 'resolved'
): Promise<EscalationView> {
  return await db.asCaller(caller, async tx => {
    const moved = await moveEscalation<EscalationView>(tx, id, to)
    if (moved !== undefined) return moved
    const current = await findRow<EscalationView>(tx, 'escalation_events', id)
    if (current === undefined) throw new errors.EscalationNotFound(`escalation ${id} not found`)
    if (current.status === to) return current
    throw new errors.EscalationStateConflict(`escalation ${id} is ${current.status}; it cannot be ${to} again`)
  })
}
