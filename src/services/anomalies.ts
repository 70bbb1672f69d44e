// Anomaly signals as callers see them: stored by services, listed and read under RLS, moved
// through their lifecycle by update_anomaly_status() (the database sets who and when).
import { visibleOwner, type Caller } from '../db/caller.js'
import type { Db } from '../db/port.js'
import { activeAnomalies, anomalyStatistics, correlatedAnomalies, updateAnomalyStatus } from '../db/anomalies.js'
import { findRow, insertRow, listRows } from '../db/rows.js'
import { decodeCursor, toPage, type Page } from '../db/pagination.js'
import { ANOMALY_COLUMNS, type AnomalyInputBody, type AnomalyRow } from '../schemas/anomalies.js'
import type { AnomalyStatisticsRow, CorrelatedAnomalyRow } from '../schemas/anomaly-reports.js'
import { createOnce, type Created, type Idempotency } from './idempotency.js'
import { errors } from '../errors.js'
import { inCredentialOrganization, organizationFilter } from './organization-scope.js'

export async function recordAnomaly(
  db: Db,
  caller: Caller,
  input: AnomalyInputBody,
  idempotency: Idempotency
): Promise<Created<AnomalyRow>> {
  return await db.asCaller(
    caller,
    async tx =>
      await createOnce(tx, idempotency, async () => ({
        status: 201,
        body: await insertRow<AnomalyRow>(
          tx,
          'anomaly_signals',
          inCredentialOrganization(caller, input),
          ANOMALY_COLUMNS
        )
      }))
  )
}

export async function getAnomaly(db: Db, caller: Caller, id: string): Promise<AnomalyRow> {
  const row = await db.asCaller(caller, async tx => await findRow<AnomalyRow>(tx, 'anomaly_signals', id))
  if (row === undefined) throw new errors.AnomalyNotFound(`anomaly ${id} not found`)
  return row
}

export interface AnomalyFilters {
  status?: string | undefined
  severity?: string | undefined
  anomaly_type?: string | undefined
  source_component_name?: string | undefined
  organization_id?: string | undefined
  since?: string | undefined
}

export async function pageAnomalies(
  db: Db,
  caller: Caller,
  filters: AnomalyFilters,
  cursor: string | undefined,
  limit: number
): Promise<Page<AnomalyRow>> {
  const { since, ...equals } = filters
  const query = {
    equals: { ...equals, organization_id: organizationFilter(equals.organization_id), user_id: visibleOwner(caller) },
    since,
    cursor: cursor === undefined ? undefined : decodeCursor(cursor),
    limit
  }
  return toPage(await db.asCaller(caller, async tx => await listRows<AnomalyRow>(tx, 'anomaly_signals', query)), limit)
}

export async function listActiveAnomalies(
  db: Db,
  caller: Caller,
  filters: Parameters<typeof activeAnomalies>[1]
): Promise<AnomalyRow[]> {
  return await db.asCaller(caller, async tx => await activeAnomalies(tx, filters))
}

export async function summariseAnomalies(
  db: Db,
  caller: Caller,
  filters: Parameters<typeof anomalyStatistics>[1]
): Promise<AnomalyStatisticsRow> {
  return await db.asCaller(caller, async tx => await anomalyStatistics(tx, filters))
}

export async function listCorrelatedAnomalies(
  db: Db,
  caller: Caller,
  id: string,
  windowMinutes: number,
  limit: number
): Promise<CorrelatedAnomalyRow[]> {
  return await db.asCaller(caller, async tx => {
    if ((await findRow(tx, 'anomaly_signals', id)) === undefined)
      throw new errors.AnomalyNotFound(`anomaly ${id} not found`)
    return await correlatedAnomalies(tx, id, windowMinutes, limit)
  })
}

export async function changeAnomalyStatus(
  db: Db,
  caller: Caller,
  id: string,
  status: string,
  notes: string | undefined
): Promise<AnomalyRow> {
  return await db.asCaller(caller, async tx => await updateAnomalyStatus(tx, id, status, notes))
}
