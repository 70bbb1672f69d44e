// The organization a request acts for. An ingest key and a user's or admin's token carry it; the
// service role, which acts for any organization, names it (a body field or query parameter).
// A caller may not name another organization than the one its credential carries. The
// database identity then carries the organization in its claims, so what it writes and what
// row-level security lets it see agree.
import type { Caller } from '../db/caller.js'
import type { Identity } from '../services/auth/identity.js'
import { errors, InvalidFields } from '../errors.js'
import { organizationClaim } from '../services/organization-scope.js'

export interface Acting {
  /** Null: the platform's own (a service or admin token that names no organization). */
  organizationId: string | null
  caller: Caller
}

export function actingFor(identity: Identity, named: string | undefined): Acting {
  const claimed = organizationClaim(identity) ?? undefined
  if (claimed !== undefined && named !== undefined && claimed.toLowerCase() !== named.toLowerCase()) {
    throw new errors.OtherOrganization('the credential belongs to another organization than the one named')
  }
  const organizationId = claimed ?? named ?? null
  if (organizationId === null || organizationId === claimed) return { organizationId, caller: identity }
  const metadata = (identity.claims.app_metadata ?? {}) as Record<string, unknown>
  return {
    organizationId,
    caller: {
      role: identity.role,
      claims: { ...identity.claims, app_metadata: { ...metadata, organization_id: organizationId } }
    }
  }
}

/** actingFor, for resources that always belong to an organization. */
export function actingForOrganization(
  identity: Identity,
  named: string | undefined,
  field: string
): Acting & { organizationId: string } {
  const acting = actingFor(identity, named)
  if (acting.organizationId === null)
    throw new InvalidFields(
      [{ path: field, message: 'is required: this credential carries no organization' }],
      'ORGANIZATION_REQUIRED'
    )
  return acting as Acting & { organizationId: string }
}
