// Circuit breaker state as callers read it, under row-level security, within an organization:
// a breaker is one organization's component's.
import type { Db } from '../db/port.js'
import type { Identity } from './auth/identity.js'
import { findBreaker, listBreakers, type CircuitBreakerRow } from '../db/circuit-breakers.js'
import { errors } from '../errors.js'
import { actingOrganization, listedOrganization } from './organization-scope.js'

export async function listCircuitBreakers(
  db: Db,
  caller: Identity,
  query: { state?: string; component_name?: string; organization_id?: string }
): Promise<CircuitBreakerRow[]> {
  const filter = {
    state: query.state ?? null,
    componentName: query.component_name ?? null,
    organizationId: listedOrganization(caller, query.organization_id)
  }
  return await db.asCaller(caller, async tx => await listBreakers(tx, filter))
}

export async function getCircuitBreaker(
  db: Db,
  caller: Identity,
  componentName: string,
  organizationId: string | undefined
): Promise<CircuitBreakerRow> {
  const key = {
    organizationId: actingOrganization(caller, organizationId, '/querystring/organization_id'),
    componentName
  }
  const row = await db.asCaller(caller, async tx => await findBreaker(tx, key))
  if (row === undefined)
    throw new errors.CircuitBreakerNotFound(
      `component ${componentName} has no circuit breaker (it was never opened, so it is closed)`
    )
  return row
}
