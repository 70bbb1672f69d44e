// Organization ingest keys: the credential an Alertmanager or an OpenTelemetry exporter is
// configured with. A key is 256 random bits behind a recognisable prefix, shown once and
// stored as its SHA-256 (see migrations/0070 for why not a password hash). A request that
// presents one acts as the service role for the key's organization and nothing else.
import { createHash, randomBytes } from 'node:crypto'
import { SERVICE_CALLER, type Caller } from '../../db/caller.js'
import {
  forgetOlderRevokedIngestKeys,
  insertIngestKey,
  listIngestKeys,
  lockAndCountLiveIngestKeys,
  revokeIngestKey,
  useIngestKey,
  type IngestKeyRow
} from '../../db/ingest-keys.js'
import type { Db } from '../../db/port.js'
import { errors } from '../../errors.js'

export const INGEST_KEY_PREFIX = 'c314_'
const SHOWN_PREFIX_CHARS = 13

// Every OTLP export and Alertmanager message looks its key up, and each key is a credential to
// keep track of: an organization's admin could otherwise create keys without end. A collector
// or Alertmanager per environment and region, rotated with overlap, stays far below a hundred
// live keys; revoked ones do not count.
export const MAX_LIVE_INGEST_KEYS_PER_ORGANIZATION = 100
// Revoked keys stay listed for the record, the newest this many: revoking frees room under the
// live limit, so create and revoke in a loop would otherwise grow the list without end.
export const KEPT_REVOKED_INGEST_KEYS_PER_ORGANIZATION = 100

export function hashIngestKey(key: string): Buffer {
  return createHash('sha256').update(key).digest()
}

export function isIngestKey(token: string): boolean {
  return token.startsWith(INGEST_KEY_PREFIX)
}

export async function createIngestKey(
  db: Db,
  caller: Caller,
  organizationId: string,
  name: string,
  createdBy: string | null
): Promise<IngestKeyRow & { key: string }> {
  const key = `${INGEST_KEY_PREFIX}${randomBytes(32).toString('base64url')}`
  const row = await db.asCaller(caller, async tx => {
    if ((await lockAndCountLiveIngestKeys(tx, organizationId)) >= MAX_LIVE_INGEST_KEYS_PER_ORGANIZATION)
      throw new errors.IngestKeyLimitReached(
        `organization ${organizationId} has ${MAX_LIVE_INGEST_KEYS_PER_ORGANIZATION} live ingest keys, the most it may have; revoke one first`
      )
    return await insertIngestKey(tx, {
      organization_id: organizationId,
      name,
      key_prefix: key.slice(0, SHOWN_PREFIX_CHARS),
      key_hash: hashIngestKey(key),
      created_by: createdBy
    })
  })
  return { ...row, key }
}

export async function listOrganizationIngestKeys(
  db: Db,
  caller: Caller,
  organizationId: string
): Promise<IngestKeyRow[]> {
  return await db.asCaller(caller, async tx => await listIngestKeys(tx, organizationId))
}

export async function revokeOrganizationIngestKey(
  db: Db,
  caller: Caller,
  organizationId: string,
  id: string
): Promise<IngestKeyRow> {
  const row = await db.asCaller(caller, async tx => {
    const revoked = await revokeIngestKey(tx, organizationId, id)
    if (revoked !== undefined)
      await forgetOlderRevokedIngestKeys(tx, organizationId, KEPT_REVOKED_INGEST_KEYS_PER_ORGANIZATION)
    return revoked
  })
  if (row === undefined) throw new errors.IngestKeyNotFound(`ingest key ${id} not found`)
  return row
}

/** The organization and key a presented key stands for, or undefined for an unknown or revoked one. */
export async function authenticateIngestKey(
  db: Db,
  key: string
): Promise<{ keyId: string; organizationId: string } | undefined> {
  const row = await db.asCaller(SERVICE_CALLER, async tx => await useIngestKey(tx, hashIngestKey(key)))
  return row === undefined ? undefined : { keyId: row.id, organizationId: row.organization_id }
}
