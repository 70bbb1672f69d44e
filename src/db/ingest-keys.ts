// Organization ingest keys: created, listed without their hash, revoked, and found by hash when
// an integration request presents one.
import type { Tx } from './client.js'
import { lockOrganizationRows } from './organization-key.js'

export interface IngestKeyRow {
  id: string
  organization_id: string
  name: string
  key_prefix: string
  created_by: string | null
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

export interface NewIngestKey {
  organization_id: string
  name: string
  key_prefix: string
  key_hash: Buffer
  created_by: string | null
}

export async function insertIngestKey(tx: Tx, key: NewIngestKey): Promise<IngestKeyRow> {
  const [row] = await tx<IngestKeyRow[]>`
    insert into ingest_keys ${tx(key as never, ['organization_id', 'name', 'key_prefix', 'key_hash', 'created_by'])}
    returning id, organization_id, name, key_prefix, created_by, created_at, last_used_at, revoked_at`
  return row as IngestKeyRow
}

/**
 * The organization's live (unrevoked) keys, counted under a lock on the organization's keys held
 * until the transaction ends, so two creates at once cannot both pass a limit.
 */
export async function lockAndCountLiveIngestKeys(tx: Tx, organizationId: string): Promise<number> {
  await lockOrganizationRows(tx, 'ingest_keys', organizationId)
  const [row] = await tx<Array<{ n: number }>>`
    select count(*)::int as n from ingest_keys where organization_id = ${organizationId} and revoked_at is null`
  return row?.n ?? 0
}

export async function listIngestKeys(tx: Tx, organizationId: string): Promise<IngestKeyRow[]> {
  return await tx<IngestKeyRow[]>`
    select id, organization_id, name, key_prefix, created_by, created_at, last_used_at, revoked_at
    from ingest_keys where organization_id = ${organizationId}
    order by created_at desc, id desc`
}

/** Revokes a live key; a key already revoked keeps its first revocation time. */
export async function revokeIngestKey(tx: Tx, organizationId: string, id: string): Promise<IngestKeyRow | undefined> {
  const [row] = await tx<IngestKeyRow[]>`
    update ingest_keys set revoked_at = coalesce(revoked_at, now())
    where id = ${id} and organization_id = ${organizationId}
    returning id, organization_id, name, key_prefix, created_by, created_at, last_used_at, revoked_at`
  return row
}

/** Deletes the organization's revoked keys past the `kept` most recently revoked; how many went. */
export async function forgetOlderRevokedIngestKeys(tx: Tx, organizationId: string, kept: number): Promise<number> {
  const rows = await tx`
    delete from ingest_keys where id in (
      select id from ingest_keys where organization_id = ${organizationId} and revoked_at is not null
      order by revoked_at desc, id desc offset ${kept}
    )
    returning 1`
  return rows.length
}

/**
 * The live key with this hash, its last use recorded in the same statement. The time is
 * written at most once a minute per key, so a busy exporter does not turn every request into
 * a row update.
 */
export async function useIngestKey(
  tx: Tx,
  keyHash: Buffer
): Promise<Pick<IngestKeyRow, 'id' | 'organization_id'> | undefined> {
  const [row] = await tx<Array<Pick<IngestKeyRow, 'id' | 'organization_id'>>>`
    with live as (
      select id, organization_id, last_used_at from ingest_keys where key_hash = ${keyHash} and revoked_at is null
    ), touched as (
      update ingest_keys set last_used_at = now()
      where id = (select id from live) and (last_used_at is null or last_used_at < now() - interval '1 minute')
    )
    select id, organization_id from live`
  return row
}
