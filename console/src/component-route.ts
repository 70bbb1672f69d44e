// A component is (organization, name): two organizations may each run a `checkout-api`. The
// address of its page names both, #/component/<name>/<organization id | platform>, for the callers
// who read several organizations (admins, the service role); a member reads only their own, so
// their links name the component alone, as before.
import type { Who } from './session'

/** Whose component a page shows: an organization's id, null for the platform's own, undefined when not named. */
export type Owner = string | null | undefined

const PLATFORM = 'platform'

export function componentHref(caller: Who, name: string, organizationId: Owner): string {
  const page = `#/component/${encodeURIComponent(name)}`
  if (caller.kind === 'user' || organizationId === undefined) return page
  return `${page}/${encodeURIComponent(organizationId ?? PLATFORM)}`
}

/** The owner named by the route's segment after the name; the service refuses one that is not a UUID. */
export function ownerOf(segment: string | undefined): Owner {
  if (segment === undefined || segment === '') return undefined
  return segment === PLATFORM ? null : segment
}

/** For the calls that take a UUID or `platform` (registration, breaker, forecasts, events, signals, actions). */
export function ownerQuery(owner: Owner): { organization_id?: string } {
  return owner === undefined ? {} : { organization_id: owner ?? PLATFORM }
}

/**
 * For the trends, which take a UUID only: the platform's own cannot be named there, so its page
 * picks the platform's rows by their organization_id.
 */
export function ownerUuidQuery(owner: Owner): { organization_id?: string } {
  return typeof owner === 'string' ? { organization_id: owner } : {}
}
