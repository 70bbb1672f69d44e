// The organization half of a component's key. A component is (organization_id, component_name);
// a null organization is the platform's own. core314.organization_key (migration 0045) maps null
// to the nil UUID so one equality serves both and the (organization key, name) indexes are used.
import type { Tx } from './client.js'

/** A component: its organization (null: the platform's own) and its name. */
export interface ComponentKey {
  organizationId: string | null
  componentName: string
}

/** `column` belongs to `organizationId` (null: the platform), as an indexable condition. */
export function sameOrganization(tx: Tx, column: string, organizationId: string | null) {
  return tx`core314.organization_key(${tx(column)}) = core314.organization_key(${organizationId}::uuid)`
}

/**
 * Holds one organization's lock on `table` until the transaction ends: creations that count the
 * organization's rows against a limit take it first, so two at once cannot both pass.
 */
export async function lockOrganizationRows(tx: Tx, table: string, organizationId: string | null): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`${table}:${organizationId ?? 'platform'}`}, 0))`
}
