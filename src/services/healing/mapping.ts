// Which recovery action an anomaly gets: the seed's table (section 2.3) by anomaly type and
// severity, overridden by HEAL_ACTION_MAP, and alert_escalation (or HEAL_DEFAULT_ACTION) for
// everything the table does not name. Checked against the executor registry at start, so a
// mapping to an action nobody can run fails the boot, not the first anomaly.
import type { HealingConfig } from '../../config.js'
import type { AnomalyRow } from '../../schemas/anomalies.js'
import { executorTypes, getExecutor } from './executors/registry.js'

export const SEED_ACTION_MAP: Readonly<Record<string, string>> = {
  'latency_spike:critical': 'restart_function',
  'latency_spike:high': 'clear_cache',
  'error_rate_increase:critical': 'rollback_deployment',
  'error_rate_increase:high': 'circuit_breaker',
  'resource_exhaustion:critical': 'scale_up',
  'resource_exhaustion:high': 'clear_cache'
}

export type MappingPolicy = Pick<HealingConfig, 'actionMap' | 'defaultAction'>

export interface ActionChoice {
  actionType: string
  parameters: Record<string, unknown>
  /** The table entry that chose it, or 'default'. */
  rule: string
}

type MappedAnomaly = Pick<
  AnomalyRow,
  'id' | 'anomaly_type' | 'severity' | 'anomaly_summary' | 'anomaly_description' | 'source_component_name'
>

/** Parameters the mapped action is created with: one step of scaling, the anomaly told to people. */
function parametersFor(actionType: string, anomaly: MappedAnomaly): Record<string, unknown> {
  switch (actionType) {
    case 'scale_up':
      return { delta: 1 }
    case 'alert_escalation':
      return {
        severity: anomaly.severity,
        title:
          `${anomaly.anomaly_type.replaceAll('_', ' ')} on ${anomaly.source_component_name ?? 'an unnamed component'}`.slice(
            0,
            200
          ),
        message: (
          anomaly.anomaly_summary ??
          anomaly.anomaly_description ??
          `${anomaly.severity} ${anomaly.anomaly_type}`
        ).slice(0, 4000),
        anomaly_id: anomaly.id
      }
    default:
      return {}
  }
}

export function chooseAction(anomaly: MappedAnomaly, policy: MappingPolicy): ActionChoice {
  const key = `${anomaly.anomaly_type}:${anomaly.severity}`
  const mapped = policy.actionMap[key] ?? SEED_ACTION_MAP[key]
  const actionType = mapped ?? policy.defaultAction
  return { actionType, parameters: parametersFor(actionType, anomaly), rule: mapped === undefined ? 'default' : key }
}

/** Throws when the mapping names an action type no executor runs. */
export function checkMapping(policy: MappingPolicy): void {
  const named = [...Object.values(SEED_ACTION_MAP), ...Object.values(policy.actionMap), policy.defaultAction]
  const unknown = named.filter(type => getExecutor(type) === undefined)
  if (unknown.length > 0) {
    throw new Error(
      `the healing action map names unknown action types ${[...new Set(unknown)].join(', ')} (known: ${executorTypes().join(', ')})`
    )
  }
}
