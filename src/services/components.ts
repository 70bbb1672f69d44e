// The component registry: admins and services register control targets; everyone reads
// them without secrets (the webhook secret never leaves, URL passwords are masked). A
// registration is its organization's: the same name in two organizations is two components.
import type { Db } from '../db/port.js'
import type { Identity } from './auth/identity.js'
import { findComponent, listComponents, upsertComponent } from '../db/components.js'
import type { ComponentInputBody, ComponentRow } from '../schemas/components.js'
import { errors } from '../errors.js'
import { actingOrganization, listedOrganization } from './organization-scope.js'

function maskPassword (url: string | null): string | null {
  if (url === null) return null
  try {
    const parsed = new URL(url)
    if (parsed.password === '') return url
    parsed.password = '***'
    return parsed.toString()
  } catch {
    return url
  }
}

function present (row: ComponentRow): ComponentRow {
  return { ...row, redis_url: maskPassword(row.redis_url), database_url: maskPassword(row.database_url) }
}

export async function registerComponent (db: Db, caller: Identity, name: string, input: ComponentInputBody): Promise<ComponentRow> {
  const { organization_id: named, ...registration } = input
  const key = { organizationId: actingOrganization(caller, named, '/body/organization_id'), componentName: name }
  return present(await db.asCaller(caller, async (tx) => await upsertComponent(tx, key, registration)))
}

export async function getComponent (db: Db, caller: Identity, name: string, organizationId: string | undefined): Promise<ComponentRow> {
  const key = { organizationId: actingOrganization(caller, organizationId, '/querystring/organization_id'), componentName: name }
  const row = await db.asCaller(caller, async (tx) => await findComponent(tx, key))
  if (row === undefined) throw new errors.NotFound(`component ${name} is not registered`)
  return present(row)
}

export async function listRegisteredComponents (db: Db, caller: Identity, componentType: string | undefined, organizationId: string | undefined): Promise<ComponentRow[]> {
  const filter = { componentType: componentType ?? null, organizationId: listedOrganization(caller, organizationId) }
  return (await db.asCaller(caller, async (tx) => await listComponents(tx, filter))).map(present)
}
