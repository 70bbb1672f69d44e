// Deploy markers: kept as events of the organization's component, so analysis can cite the
// deploy before a signal and rollback_deployment knows the version to return to.
import type { Tx } from './client.js'
import type { Cursor } from './pagination.js'
import type { DeploymentView } from '../schemas/silences.js'

export type DeploymentRow = DeploymentView

export interface NewDeployment {
  organization_id: string
  component_name: string
  version: string
  environment: string | null
  previous_version: string | null
  silence_id: string
  deployed_by: string | null
}

const COLUMNS = [
  'organization_id',
  'component_name',
  'version',
  'environment',
  'previous_version',
  'silence_id',
  'deployed_by'
] as const

export async function insertDeployment(tx: Tx, deployment: NewDeployment): Promise<DeploymentRow> {
  const [row] = await tx<DeploymentRow[]>`
    insert into deployments ${tx(deployment as never, COLUMNS)}
    returning *`
  return row as DeploymentRow
}

/** The component's latest deployment at or before `at`. */
export async function latestDeployment(
  tx: Tx,
  organizationId: string,
  componentName: string,
  at: Date
): Promise<DeploymentRow | undefined> {
  const [row] = await tx<DeploymentRow[]>`
    select * from deployments
    where organization_id = ${organizationId} and component_name = ${componentName} and created_at <= ${at}
    order by created_at desc
    limit 1`
  return row
}

export async function listDeployments(
  tx: Tx,
  organizationId: string,
  componentName: string | undefined,
  cursor: Cursor | undefined,
  limit: number
): Promise<Array<DeploymentRow & { cursor_time: string }>> {
  return await tx<Array<DeploymentRow & { cursor_time: string }>>`
    select *, created_at::text as cursor_time from deployments
    where organization_id = ${organizationId}
      ${componentName === undefined ? tx`` : tx`and component_name = ${componentName}`}
      ${cursor === undefined ? tx`` : tx`and (created_at, id) < (${cursor.time}::text::timestamptz, ${cursor.id}::uuid)`}
    order by created_at desc, id desc
    limit ${limit + 1}`
}
