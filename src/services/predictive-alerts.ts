// Predictive alerts as callers see them, read under RLS: members their organization's, admins
// and the service role every organization's unless they name one (docs/tenancy.md's list rule).
import { decodeCursor, toPage, type Page } from '../db/pagination.js'
import type { Db } from '../db/port.js'
import { findAlert, listAlerts } from '../db/predictive-alerts.js'
import type { PredictiveAlertRow } from '../schemas/predictive-alerts.js'
import type { Identity } from './auth/identity.js'
import { listedOrganization } from './organization-scope.js'
import { errors } from '../errors.js'

export interface PredictiveAlertFilters {
  organization_id?: string | undefined
  component_name?: string | undefined
  metric_name?: string | undefined
  status?: string | undefined
  severity?: string | undefined
}

export async function pagePredictiveAlerts(
  db: Db,
  caller: Identity,
  filters: PredictiveAlertFilters,
  cursor: string | undefined,
  limit: number
): Promise<Page<PredictiveAlertRow>> {
  const { organization_id: named, ...equals } = filters
  const scope = { ...equals, organizationId: listedOrganization(caller, named) }
  const after = cursor === undefined ? undefined : decodeCursor(cursor)
  return toPage(await db.asCaller(caller, async tx => await listAlerts(tx, scope, after, limit)), limit)
}

export async function getPredictiveAlert(db: Db, caller: Identity, id: string): Promise<PredictiveAlertRow> {
  const row = await db.asCaller(caller, async tx => await findAlert(tx, id))
  if (row === undefined) throw new errors.PredictiveAlertNotFound(`predictive alert ${id} not found`)
  return row
}
