// Housekeeping the service owes its own tables: health-event partitions created ahead of
// time (so inserts never land in the default partition), expired idempotency keys purged and
// self-test results past their retention deleted. Partition DDL runs as the table owner, which
// no caller role may do; the deletion runs as the service role, whose policy allows it.
import type { Db } from '../db/port.js'
import { SERVICE_CALLER } from '../db/caller.js'
import { purgeResultsOlderThan } from '../db/selftest-runs.js'
import { purgeExpiredKeys } from '../db/idempotency-keys.js'
import { createHealthEventPartitions } from '../db/partitions.js'
import { IDEMPOTENCY_TTL_SECONDS } from './idempotency.js'

export interface MaintenanceReport {
  partitions_created: number
  idempotency_keys_purged: number
  selftest_results_purged: number
}

export interface MaintenanceOptions {
  /** SELFTEST_RETENTION_DAYS. */
  selftestRetentionDays?: number
}

export const DEFAULT_SELFTEST_RETENTION_DAYS = 30

export async function runMaintenance(db: Db, options: MaintenanceOptions = {}): Promise<MaintenanceReport> {
  const owned = await db.sql.begin(async tx => ({
    partitions_created: await createHealthEventPartitions(tx, 3),
    idempotency_keys_purged: await purgeExpiredKeys(tx, IDEMPOTENCY_TTL_SECONDS)
  }))
  const days = options.selftestRetentionDays ?? DEFAULT_SELFTEST_RETENTION_DAYS
  return {
    ...owned,
    selftest_results_purged: await db.asCaller(SERVICE_CALLER, async tx => await purgeResultsOlderThan(tx, days))
  }
}
