// Deploy markers (POST /v1/deployments): a deploy is recorded as an event of the organization's
// component and opens a short maintenance window for it (DEPLOY_WINDOW_MINUTES), so the rise
// in latency or errors a deploy brings is not "healed" by restarting or rolling back mid-deploy.
// The event is what analysis cites ("latency rose 2 minutes after deploy 4.2.1") and the version
// rollback_deployment returns to when it is not told one.
import type { Tx } from '../../db/client.js'
import { insertDeployment, latestDeployment, listDeployments, type DeploymentRow } from '../../db/deployments.js'
import { decodeCursor, toPage, type Page } from '../../db/pagination.js'
import type { Db } from '../../db/port.js'
import { insertSilence } from '../../db/silences.js'
import type { RecentDeployment } from '../analysis/types.js'
import { createOnce, type Created, type Idempotency } from '../idempotency.js'
import { escapeRegex } from './matchers.js'
import { auditSilence, claimSilenceRoom, type SilenceActor } from './silences.js'

export interface DeploymentInputBody {
  component_name: string
  version: string
  environment?: string | undefined
}

/** The window's matchers: the component, and the environment when one is named (or none on the signal). */
function windowMatchers(body: DeploymentInputBody) {
  const component = { name: 'component_name', value: body.component_name, is_regex: false, is_equal: true }
  if (body.environment === undefined) return [component]
  // A signal that carries no environment is held too: most detector signals do not.
  return [
    component,
    { name: 'environment', value: `(?:${escapeRegex(body.environment)})?`, is_regex: true, is_equal: true }
  ]
}

export async function recordDeployment(
  db: Db,
  actor: SilenceActor,
  body: DeploymentInputBody,
  windowMs: number,
  idempotency: Idempotency
): Promise<Created<DeploymentRow>> {
  return await db.asCaller(
    actor.caller,
    async tx =>
      await createOnce(tx, idempotency, async () => ({ status: 201, body: await record(tx, actor, body, windowMs) }))
  )
}

async function record(
  tx: Tx,
  actor: SilenceActor,
  body: DeploymentInputBody,
  windowMs: number
): Promise<DeploymentRow> {
  const now = new Date()
  const previous = await latestDeployment(tx, actor.organizationId, body.component_name, now)
  await claimSilenceRoom(tx, actor.organizationId)
  const silence = await insertSilence(tx, {
    organization_id: actor.organizationId,
    matchers: windowMatchers(body),
    starts_at: now,
    ends_at: new Date(now.getTime() + windowMs),
    comment: `deploy of ${body.component_name} ${body.version}${body.environment === undefined ? '' : ` to ${body.environment}`}`,
    recurrence: null,
    created_by: actor.userId
  })
  await auditSilence(tx, silence, 'silence_created', actor, silence.comment, { deployment: body })
  return await insertDeployment(tx, {
    organization_id: actor.organizationId,
    component_name: body.component_name,
    version: body.version,
    environment: body.environment ?? null,
    previous_version: previous?.version ?? null,
    silence_id: silence.id,
    deployed_by: actor.userId
  })
}

export async function pageOrganizationDeployments(
  db: Db,
  actor: SilenceActor,
  componentName: string | undefined,
  cursor: string | undefined,
  limit: number
): Promise<Page<DeploymentRow>> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor)
  return toPage(
    await db.asCaller(
      actor.caller,
      async tx => await listDeployments(tx, actor.organizationId, componentName, after, limit)
    ),
    limit
  )
}

/** The component's latest deploy at or before `at`, as analysis cites it. */
export async function deploymentBefore(
  tx: Tx,
  organizationId: string | null,
  componentName: string,
  at: Date
): Promise<RecentDeployment | null> {
  if (organizationId === null) return null
  const row = await latestDeployment(tx, organizationId, componentName, at)
  if (row === undefined) return null
  return {
    version: row.version,
    previous_version: row.previous_version,
    environment: row.environment,
    deployed_at: new Date(row.created_at).toISOString(),
    minutes_before: Math.round((at.getTime() - new Date(row.created_at).getTime()) / 6000) / 10
  }
}

/**
 * rollback_deployment's parameters with to_version filled in from the deploy markers: the
 * version before the component's latest deploy. Given parameters and other types are unchanged.
 */
export async function withRollbackVersion(
  tx: Tx,
  organizationId: string | null | undefined,
  componentName: string,
  actionType: string,
  parameters: Record<string, unknown>
): Promise<Record<string, unknown>> {
  if (actionType !== 'rollback_deployment' || parameters.to_version !== undefined) return parameters
  if (organizationId === null || organizationId === undefined) return parameters
  const latest = await latestDeployment(tx, organizationId, componentName, new Date())
  if (latest?.previous_version === null || latest === undefined) return parameters
  return { ...parameters, to_version: latest.previous_version }
}
