// Queries on the component registry. Reads name their columns: the webhook secret is only
// ever read by the service role, for the executors.
import type { Tx } from './client.js'
import type { ComponentInputBody, ComponentRow } from '../schemas/components.js'

// Everything but webhook_secret, which only the service role may read.
const PUBLIC_COLUMNS = (tx: Tx) => tx(['component_name', 'component_type', 'organization_id', 'description', 'webhook_url', 'redis_url',
  'key_prefix', 'database_url', 'application_name', 'metadata', 'created_at', 'updated_at'])

const FIELDS = ['component_type', 'organization_id', 'description', 'webhook_url', 'webhook_secret',
  'redis_url', 'key_prefix', 'database_url', 'application_name', 'metadata'] as const

/**
 * Replaces a registration, or creates it. Not INSERT ... ON CONFLICT DO UPDATE: that needs
 * SELECT on every column it assigns from `excluded`, and people may not read the secret.
 */
export async function upsertComponent (tx: Tx, name: string, input: ComponentInputBody): Promise<ComponentRow> {
  const values = Object.fromEntries(FIELDS.map((field) => [field, input[field] ?? null]))
  for (let attempt = 0; attempt < 2; attempt++) {
    const [updated] = await tx<ComponentRow[]>`
      update components set ${tx(values as never, FIELDS)}
      where component_name = ${name}
      returning ${PUBLIC_COLUMNS(tx)}`
    if (updated !== undefined) return updated
    const [inserted] = await tx<ComponentRow[]>`
      insert into components ${tx({ component_name: name, ...values } as never, 'component_name', ...FIELDS)}
      on conflict (component_name) do nothing
      returning ${PUBLIC_COLUMNS(tx)}`
    if (inserted !== undefined) return inserted
  }
  throw new Error(`component ${name} could not be registered`)
}

export async function findComponent (tx: Tx, name: string): Promise<ComponentRow | undefined> {
  const [row] = await tx<ComponentRow[]>`
    select ${PUBLIC_COLUMNS(tx)} from components where component_name = ${name}`
  return row
}

export async function listComponents (tx: Tx, componentType: string | null): Promise<ComponentRow[]> {
  return await tx<ComponentRow[]>`
    select ${PUBLIC_COLUMNS(tx)} from components
    where ${componentType}::text is null or component_type = ${componentType}
    order by component_name`
}
