// Channels through the API: created, changed and deleted as the caller (row-level security
// keeps each organization to its own), their secrets sealed before they reach the database
// and never read back, and a test send that goes straight to the channel and reports its answer.
import { randomBytes, randomUUID } from 'node:crypto'
import { SERVICE_CALLER, type Caller } from '../../db/caller.js'
import {
  deleteChannel,
  findChannel,
  findChannelWithSecret,
  insertChannel,
  listChannels,
  lockAndCountChannels,
  updateChannel,
  type ChannelChange,
  type ChannelRow
} from '../../db/notification-channels.js'
import { listDeliveries, type DeliveryRow } from '../../db/notification-outbox.js'
import type { Db } from '../../db/port.js'
import type { ChannelInputBody, ChannelUpdateBody } from '../../schemas/channels.js'
import { errors, InvalidFields } from '../../errors.js'
import { hostRefusal, type TargetPolicy } from '../../lib/address-policy.js'
import { urlProblem } from '../outbound-http.js'
import { sealBound, unsealBound } from '../secrets.js'
import { send } from './send.js'
import type { ChannelSecrets, ChannelSettings } from './types.js'

type Kind = ChannelRow['kind']

// Every escalation of an organization writes one notification per enabled channel in the
// escalating transaction (the heal tick's, shared by every organization) and then sends it:
// without a bound, one organization's admin could make each of its escalations thousands of
// rows and requests. A hundred is far beyond what a team routes to.
export const MAX_CHANNELS_PER_ORGANIZATION = 100

const SECRET_FIELDS: Record<Kind, keyof ChannelSecrets> = {
  slack: 'webhook_url',
  webhook: 'secret',
  pagerduty: 'routing_key'
}

/** Why a channel URL cannot be used: not http(s), credentials in it, or a host outside the policy. */
function channelUrlProblem(url: string, policy: TargetPolicy): string | undefined {
  const problem = urlProblem(url)
  if (problem !== undefined) return problem
  const refused = hostRefusal(new URL(url).hostname, policy)
  return refused === undefined ? undefined : `host ${refused}`
}

/** The fields a kind may not carry, and the URLs it carries that are unusable. */
function checkFields(kind: Kind, body: Partial<ChannelInputBody>, policy: TargetPolicy): void {
  const problems: Array<{ path: string; message: string }> = []
  for (const [field, owner] of [
    ['webhook_url', 'slack'],
    ['secret', 'webhook'],
    ['routing_key', 'pagerduty']
  ] as const) {
    if (body[field] !== undefined && owner !== kind)
      problems.push({ path: `/body/${field}`, message: `is for ${owner} channels, not ${kind}` })
  }
  if (kind === 'slack' && body.url !== undefined)
    problems.push({ path: '/body/url', message: 'is not used by slack channels: give webhook_url' })
  for (const field of ['url', 'webhook_url'] as const) {
    const value = body[field]
    const problem = value === undefined ? undefined : channelUrlProblem(value, policy)
    if (problem !== undefined) problems.push({ path: `/body/${field}`, message: problem })
  }
  if (problems.length > 0) throw new InvalidFields(problems)
}

export interface Created extends ChannelRow {
  secret?: string
}

export async function createChannel(
  db: Db,
  caller: Caller,
  organizationId: string,
  body: ChannelInputBody,
  createdBy: string | null,
  settings: ChannelSettings
): Promise<Created> {
  checkFields(body.kind, body, settings.policy)
  const missing = [
    body.kind === 'slack' && body.webhook_url === undefined ? 'webhook_url' : undefined,
    body.kind === 'webhook' && body.url === undefined ? 'url' : undefined,
    body.kind === 'pagerduty' && body.routing_key === undefined ? 'routing_key' : undefined
  ].filter(field => field !== undefined)
  if (missing.length > 0)
    throw new InvalidFields(
      missing.map(field => ({ path: `/body/${field}`, message: `is required for ${body.kind} channels` }))
    )
  const generated =
    body.kind === 'webhook' && body.secret === undefined ? `whsec_${randomBytes(32).toString('base64')}` : undefined
  const secrets: ChannelSecrets = {
    [SECRET_FIELDS[body.kind]]: body.webhook_url ?? body.routing_key ?? body.secret ?? generated
  }
  const id = randomUUID()
  const row = await db.asCaller(caller, async tx => {
    if ((await lockAndCountChannels(tx, organizationId)) >= MAX_CHANNELS_PER_ORGANIZATION)
      throw new errors.ChannelLimitReached(
        `organization ${organizationId} has ${MAX_CHANNELS_PER_ORGANIZATION} channels, the most it may have; delete one first`
      )
    return await insertChannel(tx, {
      id,
      organization_id: organizationId,
      name: body.name,
      kind: body.kind,
      min_severity: body.min_severity ?? 'low',
      enabled: body.enabled ?? true,
      url: body.url ?? null,
      secret_ciphertext: sealBound(JSON.stringify(secrets), settings.secretsKey, id),
      created_by: createdBy
    })
  })
  return generated === undefined ? row : { ...row, secret: generated }
}

export async function listOrganizationChannels(db: Db, caller: Caller, organizationId: string): Promise<ChannelRow[]> {
  return await db.asCaller(caller, async tx => await listChannels(tx, organizationId))
}

export async function getChannel(db: Db, caller: Caller, organizationId: string, id: string): Promise<ChannelRow> {
  const row = await db.asCaller(caller, async tx => await findChannel(tx, organizationId, id))
  if (row === undefined) throw new errors.ChannelNotFound(`channel ${id} not found`)
  return row
}

/**
 * Changes what was given. A new secret is merged into the sealed ones, which the caller may
 * not read: the existing row is read as the service role, after the caller's own read proved
 * the channel is theirs.
 */
export async function changeChannel(
  db: Db,
  caller: Caller,
  organizationId: string,
  id: string,
  body: ChannelUpdateBody,
  settings: ChannelSettings
): Promise<ChannelRow> {
  const current = await getChannel(db, caller, organizationId, id)
  checkFields(current.kind, body, settings.policy)
  const { webhook_url: webhookUrl, secret, routing_key: routingKey, ...plain } = body
  const change: ChannelChange = { ...plain }
  const replaced = webhookUrl ?? secret ?? routingKey
  if (replaced !== undefined) {
    const sealed = await db.asCaller(SERVICE_CALLER, async tx => await findChannelWithSecret(tx, organizationId, id))
    const secrets =
      sealed === undefined
        ? {}
        : (JSON.parse(unsealBound(sealed.secret_ciphertext, settings.secretsKey, id)) as ChannelSecrets)
    change.secret_ciphertext = sealBound(
      JSON.stringify({ ...secrets, [SECRET_FIELDS[current.kind]]: replaced }),
      settings.secretsKey,
      id
    )
  }
  const row = await db.asCaller(caller, async tx => await updateChannel(tx, organizationId, id, change))
  if (row === undefined) throw new errors.ChannelNotFound(`channel ${id} not found`)
  return row
}

export async function removeChannel(db: Db, caller: Caller, organizationId: string, id: string): Promise<void> {
  if (!(await db.asCaller(caller, async tx => await deleteChannel(tx, organizationId, id))))
    throw new errors.ChannelNotFound(`channel ${id} not found`)
}

export async function channelDeliveries(
  db: Db,
  caller: Caller,
  organizationId: string,
  id: string,
  limit: number
): Promise<DeliveryRow[]> {
  await getChannel(db, caller, organizationId, id)
  return await db.asCaller(SERVICE_CALLER, async tx => await listDeliveries(tx, id, limit))
}

export interface TestOutcome {
  ok: boolean
  status: number | null
  error: string | null
}

/**
 * Sends a test notification now, bypassing the outbox, and reports the channel's answer. For
 * PagerDuty a trigger and its resolve, under a key of its own, so no incident stays open.
 */
export async function testChannel(
  db: Db,
  caller: Caller,
  organizationId: string,
  id: string,
  settings: ChannelSettings,
  timeoutMs: number
): Promise<TestOutcome> {
  const channel = await getChannel(db, caller, organizationId, id)
  const sealed = await db.asCaller(SERVICE_CALLER, async tx => await findChannelWithSecret(tx, organizationId, id))
  const secrets = JSON.parse(
    unsealBound((sealed as { secret_ciphertext: string }).secret_ciphertext, settings.secretsKey, id)
  ) as ChannelSecrets
  const testId = `test-${randomUUID()}`
  const message = {
    title: 'Core314 test notification',
    summary: `A test of channel "${channel.name}"; nothing is wrong.`,
    severity: 'low',
    escalation_id: testId,
    component_name: 'core314',
    reason: 'sent from POST /v1/channels/{id}/test'
  }
  const base = { id: testId, kind: channel.kind, url: channel.url, secrets, dedupKey: testId, message }
  let outcome = await send({ ...base, event: 'trigger' }, AbortSignal.timeout(timeoutMs), settings.policy)
  if (outcome.ok && channel.kind === 'pagerduty')
    outcome = await send({ ...base, event: 'resolve' }, AbortSignal.timeout(timeoutMs), settings.policy)
  return { ok: outcome.ok, status: outcome.status ?? null, error: outcome.ok ? null : (outcome.error ?? 'failed') }
}
