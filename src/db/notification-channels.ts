// An organization's notification channels. Secrets are one sealed column that no API role may
// read (the grants leave it out for users and admins); only the service's own dispatcher and
// channel updates, as the service role, read it.
import type { Tx } from './client.js'
import { lockOrganizationRows } from './organization-key.js'

export const CHANNEL_KINDS = ['slack', 'webhook', 'pagerduty'] as const
export type ChannelKind = (typeof CHANNEL_KINDS)[number]

export interface ChannelRow {
  id: string
  organization_id: string
  name: string
  kind: ChannelKind
  min_severity: 'low' | 'medium' | 'high' | 'critical'
  enabled: boolean
  url: string | null
  created_by: string | null
  created_at: string
  updated_at: string
}

export interface ChannelWithSecret extends ChannelRow {
  secret_ciphertext: string
}

const COLUMNS = [
  'id',
  'organization_id',
  'name',
  'kind',
  'min_severity',
  'enabled',
  'url',
  'created_by',
  'created_at',
  'updated_at'
] as const

export type NewChannel = Pick<
  ChannelWithSecret,
  'id' | 'organization_id' | 'name' | 'kind' | 'min_severity' | 'enabled' | 'url' | 'secret_ciphertext' | 'created_by'
>

export async function insertChannel(tx: Tx, channel: NewChannel): Promise<ChannelRow> {
  const [row] = await tx<ChannelRow[]>`
    insert into notification_channels ${tx(channel as never, ['id', 'organization_id', 'name', 'kind', 'min_severity', 'enabled', 'url', 'secret_ciphertext', 'created_by'])}
    returning ${tx([...COLUMNS])}`
  return row as ChannelRow
}

/**
 * How many channels the organization has, counted under a transaction lock on its channel list,
 * so two creations at once cannot both pass a limit on the count.
 */
export async function lockAndCountChannels(tx: Tx, organizationId: string): Promise<number> {
  await lockOrganizationRows(tx, 'notification_channels', organizationId)
  const [row] = await tx<Array<{ n: number }>>`
    select count(*)::int as n from notification_channels where organization_id = ${organizationId}`
  return row?.n ?? 0
}

export async function listChannels(tx: Tx, organizationId: string): Promise<ChannelRow[]> {
  return await tx<ChannelRow[]>`
    select ${tx([...COLUMNS])} from notification_channels where organization_id = ${organizationId} order by created_at desc, id desc`
}

export async function findChannel(tx: Tx, organizationId: string, id: string): Promise<ChannelRow | undefined> {
  const [row] = await tx<ChannelRow[]>`
    select ${tx([...COLUMNS])} from notification_channels where id = ${id} and organization_id = ${organizationId}`
  return row
}

/** For the service role only: the row with its sealed secrets. */
export async function findChannelWithSecret(
  tx: Tx,
  organizationId: string,
  id: string
): Promise<ChannelWithSecret | undefined> {
  const [row] = await tx<ChannelWithSecret[]>`
    select ${tx([...COLUMNS])}, secret_ciphertext from notification_channels where id = ${id} and organization_id = ${organizationId}`
  return row
}

export type ChannelChange = Partial<
  Pick<ChannelWithSecret, 'name' | 'min_severity' | 'enabled' | 'url' | 'secret_ciphertext'>
>

export async function updateChannel(
  tx: Tx,
  organizationId: string,
  id: string,
  change: ChannelChange
): Promise<ChannelRow | undefined> {
  const columns = Object.keys(change) as Array<keyof ChannelChange>
  if (columns.length === 0) return await findChannel(tx, organizationId, id)
  const [row] = await tx<ChannelRow[]>`
    update notification_channels set ${tx(change as never, columns)}
    where id = ${id} and organization_id = ${organizationId}
    returning ${tx([...COLUMNS])}`
  return row
}

export async function deleteChannel(tx: Tx, organizationId: string, id: string): Promise<boolean> {
  const rows =
    await tx`delete from notification_channels where id = ${id} and organization_id = ${organizationId} returning id`
  return rows.length > 0
}
