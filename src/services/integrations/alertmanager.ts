// Alertmanager (and Grafana alerting) webhooks into anomaly signals. A firing alert opens or
// joins the active signal of its component and alert name; a resolved one leaves it, and the
// signal resolves with its last alert. The whole payload is one transaction, and every step is
// idempotent, because Alertmanager resends a group on every repeat_interval and after a failure.
import { createHash } from 'node:crypto'
import type { Caller } from '../../db/caller.js'
import { AlertSignalBatch } from '../../db/alert-signals.js'
import type { Db } from '../../db/port.js'
import { nameProblem } from '../../lib/names.js'
import { COMPONENT_NAME_MAX_LENGTH } from '../../schemas/components.js'
import type {
  AlertmanagerPayloadBody as Payload,
  AlertmanagerResultBody as Result
} from '../../schemas/alertmanager.js'

type Alert = Payload['alerts'][number]

export const DEFAULT_COMPONENT_LABELS = ['service', 'job', 'app', 'component']

/** The `severity` label's common spellings; anything else (or none) is medium. */
export const SEVERITY_MAP: Readonly<Record<string, 'low' | 'medium' | 'high' | 'critical'>> = {
  critical: 'critical',
  page: 'critical',
  emergency: 'critical',
  fatal: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  warning: 'medium',
  warn: 'medium',
  medium: 'medium',
  minor: 'medium',
  info: 'low',
  informational: 'low',
  notice: 'low',
  low: 'low',
  none: 'low'
}

export function severityOf(labels: Record<string, string>): 'low' | 'medium' | 'high' | 'critical' {
  return SEVERITY_MAP[(labels.severity ?? '').trim().toLowerCase()] ?? 'medium'
}

/** HighRequestLatency, high-request-latency and "High request latency" all become high_request_latency. */
export function anomalyTypeOf(alertname: string | undefined): string {
  const snake = (alertname ?? '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
  if (snake === '') return 'alertmanager_alert'
  return (/^[a-z]/.test(snake) ? snake : `alert_${snake}`).slice(0, 64).replace(/_+$/, '')
}

/** Alertmanager's own fingerprint, or a stable one from the sorted labels when a sender omits it. */
function fingerprintOf(alert: Alert): string {
  if (alert.fingerprint !== undefined) return alert.fingerprint
  const labels = Object.keys(alert.labels)
    .sort()
    .map(key => [key, alert.labels[key]])
  return createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 16)
}

// A name taken from a label follows the API's rule for names and their lengths: an alert whose
// label breaks it is ignored with the reason, never cut to length (two services cut to the same
// 200 characters would become one component) nor stored to read backwards where it is shown.
function componentOf(labels: Record<string, string>, componentLabels: string[]): { name: string } | { reason: string } {
  for (const label of componentLabels) {
    const value = labels[label]?.trim()
    if (value === undefined || value === '') continue
    const problem = nameProblem(value, COMPONENT_NAME_MAX_LENGTH)
    return problem === undefined ? { name: value } : { reason: `label ${label} ${problem}` }
  }
  return { reason: `no component label (looked for ${componentLabels.join(', ')})` }
}

const COMPONENT_TYPE_MAX_LENGTH = 100

// Alertmanager writes the zero time for "not yet ended"; an end still ahead has not come yet.
function endOf(alert: Alert, arrival: number): Date {
  const ends = alert.endsAt === undefined ? Number.NaN : Date.parse(alert.endsAt)
  return Number.isNaN(ends) || ends <= 0 ? new Date(arrival) : new Date(Math.min(ends, arrival))
}

// startsAt is the signal's event time. The zero time (a sender that left it unset) is the
// arrival; one further ahead than a fast clock explains is refused as health events are
// (docs/event-time.md): it would sort before every real signal and read back from PostgreSQL
// as another year (0001 came back as 2001).
function startOf(alert: Alert, arrival: number, maxFutureSkewMs: number): Date | string {
  const starts = Date.parse(alert.startsAt)
  if (starts <= 0) return new Date(arrival)
  if (starts > arrival + maxFutureSkewMs)
    return `startsAt is more than ${maxFutureSkewMs / 1000} s after arrival, the future skew bound (EVENT_MAX_FUTURE_SKEW_SECONDS)`
  return new Date(starts)
}

export interface AlertmanagerSettings {
  componentLabels: string[]
  /** EVENT_MAX_FUTURE_SKEW_SECONDS, in ms. */
  maxFutureSkewMs: number
}

export async function receiveAlerts(
  db: Db,
  caller: Caller,
  organizationId: string | null,
  payload: Payload,
  settings: AlertmanagerSettings
): Promise<Result> {
  const result: Result = {
    received: payload.alerts.length,
    opened: 0,
    updated: 0,
    resolved: 0,
    unchanged: 0,
    ignored: [],
    signal_ids: []
  }
  const arrival = Date.now()
  await db.asCaller(caller, async tx => {
    const signals = new AlertSignalBatch(tx, organizationId)
    for (const alert of payload.alerts) {
      const fingerprint = fingerprintOf(alert)
      const labels = { ...payload.commonLabels, ...alert.labels }
      const found = componentOf(labels, settings.componentLabels)
      if ('reason' in found) {
        result.ignored.push({ fingerprint, reason: found.reason })
        continue
      }
      const component = found.name
      const anomalyType = anomalyTypeOf(labels.alertname)
      if (alert.status === 'resolved') {
        const change = await signals.resolve(component, anomalyType, fingerprint, endOf(alert, arrival))
        if (change === undefined) result.unchanged++
        else {
          result.signal_ids.push(change.id)
          if (change.resolved) result.resolved++
          else result.updated++
        }
        continue
      }
      const started = startOf(alert, arrival, settings.maxFutureSkewMs)
      if (typeof started === 'string') {
        result.ignored.push({ fingerprint, reason: started })
        continue
      }
      const componentType = labels.component_type ?? 'service'
      const typeProblem = nameProblem(componentType, COMPONENT_TYPE_MAX_LENGTH)
      if (typeProblem !== undefined) {
        result.ignored.push({ fingerprint, reason: `label component_type ${typeProblem}` })
        continue
      }
      const annotations = { ...payload.commonAnnotations, ...alert.annotations }
      const change = await signals.fire({
        organization_id: organizationId,
        anomaly_type: anomalyType,
        severity: severityOf(labels),
        source_component_type: componentType,
        source_component_name: component,
        anomaly_description: (annotations.description ?? annotations.message ?? null)?.slice(0, 4000) ?? null,
        anomaly_summary: (annotations.summary ?? null)?.slice(0, 1000) ?? null,
        detection_timestamp: started,
        fingerprint,
        alert: {
          labels,
          annotations,
          generator_url: alert.generatorURL ?? null,
          external_url: payload.externalURL ?? null,
          receiver: payload.receiver ?? null,
          group_key: payload.groupKey ?? null
        }
      })
      result.signal_ids.push(change.id)
      result[change.change]++
    }
    await signals.flush()
  })
  return result
}
