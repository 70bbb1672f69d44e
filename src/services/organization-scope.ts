// Which organization a request about a component acts in. A component is (organization_id,
// component_name), so a name alone is ambiguous: users and admins act within the organization
// of their token (app_metadata.organization_id; none means the platform's own components, which
// row-level security shows admins only), and may name one explicitly; the service role acts for
// every organization, so it must always say which one. Row-level security still decides what
// the caller may see in the organization named.
import type { Identity } from './auth/identity.js'
import { InvalidFields } from '../errors.js'

/** `organization_id` as a query string names it: a UUID, or `platform` for the null organization. */
export const PLATFORM = 'platform'

export function organizationClaim(identity: Pick<Identity, 'claims'>): string | null {
  const metadata = identity.claims.app_metadata as Record<string, unknown> | undefined
  return typeof metadata?.organization_id === 'string' ? metadata.organization_id : null
}

/**
 * A row to write with the credential's organization where it names none (null names the
 * platform's): an admin's own, an organization's service token's or ingest key's own, and for a
 * service token without one the platform's, as before. Row-level security holds a service
 * credential that carries an organization to it (migration 0149).
 */
export function inCredentialOrganization<T extends { organization_id?: string | null }>(
  caller: Pick<Identity, 'claims'>,
  input: T
): T {
  return input.organization_id === undefined ? { ...input, organization_id: organizationClaim(caller) } : input
}

/**
 * The organization the request acts in: the one named (undefined: not named; null or `platform`:
 * the platform's own), else the caller's own. The service role has no organization of its own:
 * 400 naming `field` when it names none.
 */
export function actingOrganization(identity: Identity, named: string | null | undefined, field: string): string | null {
  if (named !== undefined) return named === PLATFORM ? null : named
  if (identity.kind === 'service') {
    throw new InvalidFields(
      [
        {
          path: field,
          message:
            "is required for the service role: name the organization (null, or `platform` in a query string, for the platform's own components)"
        }
      ],
      'ORGANIZATION_REQUIRED'
    )
  }
  return organizationClaim(identity)
}

/**
 * The organization a list is limited to: the one named, else the caller's own for a user. Admins
 * and the service role see every organization's items unless they name one.
 */
export function listedOrganization(identity: Identity, named: string | undefined): string | null | undefined {
  if (named !== undefined) return organizationFilter(named)
  return identity.kind === 'user' ? organizationClaim(identity) : undefined
}

/** A list's `organization_id` filter as a column value: a UUID, null for `platform`, undefined for none. */
export function organizationFilter(named: string | undefined): string | null | undefined {
  return named === PLATFORM ? null : named
}
