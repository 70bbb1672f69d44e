// Housekeeping the service owes its own tables: health-event partitions created ahead of
// time (so inserts never land in the default partition) and expired idempotency keys purged.
// It runs as the table owner: partition DDL is not something a caller role may do.
import type { Db } from '../plugins/db.js'
import { purgeExpiredKeys } from '../db/idempotency-keys.js'
import { createHealthEventPartitions } from '../db/partitions.js'
import { IDEMPOTENCY_TTL_SECONDS } from './idempotency.js'

export interface MaintenanceReport {
  partitions_created: number
  idempotency_keys_purged: number
}

export async function runMaintenance (db: Db): Promise<MaintenanceReport> {
  return await db.sql.begin(async (tx) => ({
    partitions_created: await createHealthEventPartitions(tx, 3),
    idempotency_keys_purged: await purgeExpiredKeys(tx, IDEMPOTENCY_TTL_SECONDS)
  }))
}
