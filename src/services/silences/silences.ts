// /v1/silences: an organization's silences, created, listed, read, changed (end, comment) and
// expired early, each change recorded in decision_audit_log with who did it and the request.
// Everything runs as the caller, so row-level security keeps each organization to its own.
import type { Caller } from '../../db/caller.js'
import type { Tx } from '../../db/client.js'
import { recordDecision } from '../../db/decision-audit-log.js'
import { decodeCursor, toPage, type Page } from '../../db/pagination.js'
import type { Db } from '../../db/port.js'
import {
  expireSilence,
  findSilence,
  insertSilence,
  listSilences,
  lockAndCountUnendedSilences,
  updateSilence,
  type NewSilence,
  type SilenceFilters,
  type SilenceRow
} from '../../db/silences.js'
import { errors, InvalidFields } from '../../errors.js'
import type { SilenceInputBody } from '../../schemas/silences.js'
import { createOnce, type Created, type Idempotency } from '../idempotency.js'
import { checkMatchers } from './matchers.js'
import { checkRecurrence } from './recurrence.js'

export const SILENCES = 'silences'

// Every decision of the healing engine and every signal the detector writes is matched against
// each silence of its organization that has not ended: without a bound, one organization's
// admin could make each of those thousands of matches. A thousand silences pending or in force
// at once (deploy windows included) is far beyond what a team keeps; ended ones do not count.
export const MAX_UNENDED_SILENCES_PER_ORGANIZATION = 1000

/** Refuses a silence the organization has no room for; holds the organization's silence lock until the transaction ends. */
export async function claimSilenceRoom(tx: Tx, organizationId: string): Promise<void> {
  if ((await lockAndCountUnendedSilences(tx, organizationId)) >= MAX_UNENDED_SILENCES_PER_ORGANIZATION)
    throw new errors.SilenceLimitReached(
      `organization ${organizationId} has ${MAX_UNENDED_SILENCES_PER_ORGANIZATION} silences pending or in force, the most it may have; expire one first`
    )
}

/** Who acts, for created_by and the audit log's actor (an admin's own id, else 'service'). */
export interface SilenceActor {
  caller: Caller
  organizationId: string
  userId: string | null
}

export async function auditSilence(
  tx: Tx,
  silence: SilenceRow,
  type: 'silence_created' | 'silence_updated' | 'silence_expired',
  actor: SilenceActor,
  reasoning: string,
  input: Record<string, unknown> = {}
): Promise<void> {
  await recordDecision(tx, {
    decision_type: type,
    component: SILENCES,
    subject_type: 'silence',
    subject_id: silence.id,
    organization_id: silence.organization_id,
    input,
    decision: {
      matchers: silence.matchers,
      starts_at: silence.starts_at,
      ends_at: silence.ends_at,
      recurrence: silence.recurrence
    },
    outcome: silence.state,
    reasoning,
    actor: actor.userId ?? 'service'
  })
}

/** The silence as it would be stored, or a 400 naming the field that is wrong. */
export function newSilence(body: SilenceInputBody, actor: SilenceActor, now: Date): NewSilence {
  const startsAt = body.starts_at === undefined ? now : new Date(body.starts_at)
  const endsAt = new Date(body.ends_at)
  if (endsAt <= now) throw new InvalidFields([{ path: '/body/ends_at', message: 'must be in the future' }])
  if (endsAt <= startsAt) throw new InvalidFields([{ path: '/body/ends_at', message: 'must be after starts_at' }])
  const matchers = checkMatchers(body.matchers, '/body/matchers')
  if (body.recurrence !== undefined) checkRecurrence(body.recurrence, startsAt, endsAt, '/body/recurrence')
  return {
    organization_id: actor.organizationId,
    matchers,
    starts_at: startsAt,
    ends_at: endsAt,
    comment: body.comment,
    recurrence: body.recurrence ?? null,
    created_by: actor.userId
  }
}

export async function createSilence(
  db: Db,
  actor: SilenceActor,
  body: SilenceInputBody,
  idempotency: Idempotency
): Promise<Created<SilenceRow>> {
  const silence = newSilence(body, actor, new Date())
  return await db.asCaller(
    actor.caller,
    async tx =>
      await createOnce(tx, idempotency, async () => {
        await claimSilenceRoom(tx, actor.organizationId)
        const row = await insertSilence(tx, silence)
        await auditSilence(tx, row, 'silence_created', actor, row.comment)
        return { status: 201, body: row }
      })
  )
}

export async function pageOrganizationSilences(
  db: Db,
  actor: SilenceActor,
  filters: SilenceFilters,
  cursor: string | undefined,
  limit: number
): Promise<Page<SilenceRow>> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor)
  return toPage(
    await db.asCaller(actor.caller, async tx => await listSilences(tx, actor.organizationId, filters, after, limit)),
    limit
  )
}

export async function getSilence(db: Db, actor: SilenceActor, id: string): Promise<SilenceRow> {
  const row = await db.asCaller(actor.caller, async tx => await findSilence(tx, actor.organizationId, id))
  if (row === undefined) throw new errors.SilenceNotFound(`silence ${id} not found`)
  return row
}

async function current(tx: Tx, actor: SilenceActor, id: string): Promise<SilenceRow> {
  const row = await findSilence(tx, actor.organizationId, id)
  if (row === undefined) throw new errors.SilenceNotFound(`silence ${id} not found`)
  if (row.state === 'expired')
    throw new errors.SilenceEnded(
      `silence ${id} ended at ${new Date(row.ends_at).toISOString()}; create a new one instead`
    )
  return row
}

export async function changeSilence(
  db: Db,
  actor: SilenceActor,
  id: string,
  change: { ends_at?: string | undefined; comment?: string | undefined }
): Promise<SilenceRow> {
  return await db.asCaller(actor.caller, async tx => {
    const before = await current(tx, actor, id)
    const endsAt = change.ends_at === undefined ? undefined : new Date(change.ends_at)
    if (endsAt !== undefined && endsAt <= new Date())
      throw new InvalidFields([
        { path: '/body/ends_at', message: 'must be in the future; expire the silence to end it now' }
      ])
    if (endsAt !== undefined && endsAt <= new Date(before.starts_at))
      throw new InvalidFields([{ path: '/body/ends_at', message: 'must be after starts_at' }])
    const row = await updateSilence(
      tx,
      actor.organizationId,
      id,
      { ends_at: endsAt, comment: change.comment },
      actor.userId
    )
    if (row === undefined) throw new errors.SilenceEnded(`silence ${id} ended meanwhile`)
    await auditSilence(tx, row, 'silence_updated', actor, change.comment ?? row.comment, {
      before: { ends_at: before.ends_at, comment: before.comment },
      change
    })
    return row
  })
}

export async function expireOrganizationSilence(db: Db, actor: SilenceActor, id: string): Promise<SilenceRow> {
  return await db.asCaller(actor.caller, async tx => {
    const before = await current(tx, actor, id)
    const row = await expireSilence(tx, actor.organizationId, id, actor.userId)
    if (row === undefined) throw new errors.SilenceEnded(`silence ${id} ended meanwhile`)
    await auditSilence(tx, row, 'silence_expired', actor, 'expired early on request', {
      before: { starts_at: before.starts_at, ends_at: before.ends_at, state: before.state }
    })
    return row
  })
}
