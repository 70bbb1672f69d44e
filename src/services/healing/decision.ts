// What the engine decided for one open anomaly, as the heal job and POST /v1/self-healing/run
// report it: the mapped action or the runbook run it started, and the guard or silence that held it.
import type { GuardName } from './guards.js'

export interface Decision {
  anomaly_id: string
  component_name: string
  anomaly_type: string
  severity: string
  action_type: string
  /** The mapping entry, 'default', or runbook:<name>@<version>. */
  rule: string
  held_by: GuardName | 'silence' | null
  /** With held_by 'silence': the silence holding the signal. */
  silence_id: string | null
  reason: string
  requires_approval: boolean
  action_id: string | null
  execution_status: string | null
  /** In a preview: what the executor would do. */
  simulation: string | null
}
