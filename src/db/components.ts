// Queries on the component registry. Reads name their columns: the webhook secret is only
// ever read by the service role, for the executors.
import type { Tx } from './client.js'
import { lockOrganizationRows, sameOrganization, type ComponentKey } from './organization-key.js'
import type { ComponentInputBody, ComponentRow } from '../schemas/components.js'

// Everything but webhook_secret, which only the service role may read.
const PUBLIC_COLUMNS = (tx: Tx) =>
  tx([
    'component_name',
    'component_type',
    'organization_id',
    'description',
    'webhook_url',
    'redis_url',
    'key_prefix',
    'database_url',
    'application_name',
    'metadata',
    'created_at',
    'updated_at'
  ])

const FIELDS = [
  'component_type',
  'description',
  'webhook_url',
  'webhook_secret',
  'redis_url',
  'key_prefix',
  'database_url',
  'application_name',
  'metadata'
] as const

/**
 * Replaces a registration, or creates it. Not INSERT ... ON CONFLICT DO UPDATE: that needs
 * SELECT on every column it assigns from `excluded`, and people may not read the secret.
 */
export async function upsertComponent(
  tx: Tx,
  key: ComponentKey,
  input: Omit<ComponentInputBody, 'organization_id'>
): Promise<ComponentRow> {
  const values = Object.fromEntries(FIELDS.map(field => [field, input[field] ?? null]))
  for (let attempt = 0; attempt < 2; attempt++) {
    const [updated] = await tx<ComponentRow[]>`
      update components set ${tx(values as never, FIELDS)}
      where ${sameOrganization(tx, 'organization_id', key.organizationId)} and component_name = ${key.componentName}
      returning ${PUBLIC_COLUMNS(tx)}`
    if (updated !== undefined) return updated
    const row = { organization_id: key.organizationId, component_name: key.componentName, ...values }
    const [inserted] = await tx<ComponentRow[]>`
      insert into components ${tx(row as never, 'organization_id', 'component_name', ...FIELDS)}
      on conflict (organization_id, component_name) do nothing
      returning ${PUBLIC_COLUMNS(tx)}`
    if (inserted !== undefined) return inserted
  }
  throw new Error(`component ${key.componentName} could not be registered`)
}

/**
 * The organization's registered components other than `componentName`, counted under a lock on
 * the organization's registry held until the transaction ends, so two registrations at once
 * cannot both pass a limit. Replacing a registration adds no component.
 */
export async function lockAndCountOtherComponents(tx: Tx, key: ComponentKey): Promise<number> {
  await lockOrganizationRows(tx, 'components', key.organizationId)
  const [row] = await tx<Array<{ n: number }>>`
    select count(*)::int as n from components
    where ${sameOrganization(tx, 'organization_id', key.organizationId)} and component_name <> ${key.componentName}`
  return row?.n ?? 0
}

/** The registered webhook_url, locked until the transaction ends; undefined when the component is new. */
export async function lockWebhookUrl(tx: Tx, key: ComponentKey): Promise<string | null | undefined> {
  const [row] = await tx<Array<{ webhook_url: string | null }>>`
    select webhook_url from components
    where ${sameOrganization(tx, 'organization_id', key.organizationId)} and component_name = ${key.componentName}
    for update`
  return row?.webhook_url
}

export async function findComponent(tx: Tx, key: ComponentKey): Promise<ComponentRow | undefined> {
  const [row] = await tx<ComponentRow[]>`
    select ${PUBLIC_COLUMNS(tx)} from components
    where ${sameOrganization(tx, 'organization_id', key.organizationId)} and component_name = ${key.componentName}`
  return row
}

export interface ComponentFilter {
  componentType: string | null
  componentName: string | null
  /** Only this organization's (null: the platform's); undefined: every one the caller may see. */
  organizationId?: string | null | undefined
}

export async function listComponents(tx: Tx, filter: ComponentFilter): Promise<ComponentRow[]> {
  return await tx<ComponentRow[]>`
    select ${PUBLIC_COLUMNS(tx)} from components
    where (${filter.componentType}::text is null or component_type = ${filter.componentType})
      and (${filter.componentName}::text is null or component_name = ${filter.componentName})
      ${filter.organizationId === undefined ? tx`` : tx`and ${sameOrganization(tx, 'organization_id', filter.organizationId)}`}
    order by organization_id nulls first, component_name`
}
