// Runbook versions: a new document on a name is stored as its next version; reads take the latest
// version unless one is named; deleting disables every version of the name (runs keep pointing
// at theirs). The version is chosen under a lock on the name, so two writers never take one twice.
import type { Tx } from './client.js'
import type { RunbookDocumentValue, RunbookRow } from '../schemas/runbooks.js'
import { lockOrganizationRows } from './organization-key.js'

export async function insertRunbookVersion(
  tx: Tx,
  organizationId: string,
  document: RunbookDocumentValue,
  createdBy: string | null
): Promise<RunbookRow> {
  await tx`select pg_advisory_xact_lock(hashtext('core314.runbook'), hashtext(${`${organizationId}/${document.name}`}))`
  const [row] = await tx<RunbookRow[]>`
    insert into runbooks (organization_id, name, version, document, created_by)
    select ${organizationId}, ${document.name}, coalesce(max(version), 0) + 1, ${tx.json(document as never)}, ${createdBy}
    from runbooks where organization_id = ${organizationId} and name = ${document.name}
    returning *`
  return row as RunbookRow
}

export interface RunbookCounts {
  /** Enabled names other than the one being stored: a new version of an enabled name adds none. */
  otherEnabledNames: number
  /** Every version stored, of every name, deleted ones included. */
  storedVersions: number
}

/**
 * The organization's runbooks counted under a lock on them held until the transaction ends, so
 * two creates at once cannot both pass a limit.
 */
export async function lockAndCountRunbooks(tx: Tx, organizationId: string, name: string): Promise<RunbookCounts> {
  await lockOrganizationRows(tx, 'runbooks', organizationId)
  const [row] = await tx<RunbookCounts[]>`
    select count(distinct name) filter (where enabled and name <> ${name})::int as "otherEnabledNames",
      count(*)::int as "storedVersions"
    from runbooks where organization_id = ${organizationId}`
  return row ?? { otherEnabledNames: 0, storedVersions: 0 }
}

/** The latest version of each of the organization's runbooks, by name. */
export async function latestRunbooks(tx: Tx, organizationId: string): Promise<RunbookRow[]> {
  return await tx<RunbookRow[]>`
    select distinct on (name) * from runbooks
    where organization_id = ${organizationId}
    order by name, version desc`
}

/** One version, or the latest when `version` is null. */
export async function findRunbook(
  tx: Tx,
  organizationId: string,
  name: string,
  version: number | null
): Promise<RunbookRow | undefined> {
  const [row] = await tx<RunbookRow[]>`
    select * from runbooks
    where organization_id = ${organizationId} and name = ${name}
      and (${version}::int is null or version = ${version}::int)
    order by version desc limit 1`
  return row
}

/** Disables every version of the name; the latest version as it now is, or undefined for an unknown name. */
export async function disableRunbook(tx: Tx, organizationId: string, name: string): Promise<RunbookRow | undefined> {
  await tx`
    update runbooks set enabled = false, disabled_at = coalesce(disabled_at, now())
    where organization_id = ${organizationId} and name = ${name}`
  return await findRunbook(tx, organizationId, name, null)
}

export async function findRunbookById(tx: Tx, id: string): Promise<RunbookRow | undefined> {
  const [row] = await tx<RunbookRow[]>`select * from runbooks where id = ${id}`
  return row
}
