// A component's control targets as executors need them, secret included: read only by the
// service role (a column grant keeps webhook_secret from everyone else).
import type { Tx } from './client.js'
import { sameOrganization, type ComponentKey } from './organization-key.js'

export interface TargetRow {
  component_name: string
  component_type: string
  organization_id: string | null
  webhook_url: string | null
  webhook_secret: string | null
  redis_url: string | null
  key_prefix: string | null
  database_url: string | null
  application_name: string | null
}

/** The targets of this organization's component: another organization's of the same name never. */
export async function findTarget(tx: Tx, key: ComponentKey): Promise<TargetRow | undefined> {
  const [row] = await tx<TargetRow[]>`
    select component_name, component_type, organization_id, webhook_url, webhook_secret, redis_url, key_prefix, database_url, application_name
    from components where ${sameOrganization(tx, 'organization_id', key.organizationId)} and component_name = ${key.componentName}`
  return row
}
