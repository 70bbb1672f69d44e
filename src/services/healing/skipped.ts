// One signal the engine cannot decide for must not stop it deciding for every other: a value
// no action can be stored with, or a fault in planning one. Each signal is decided in its own
// savepoint, so a failure undoes that signal's writes alone; the signal is skipped, logged with
// the details, counted (core314_healing_signals_skipped_total, which an alert watches), recorded
// in decision_audit_log by a run that stores its decisions, and tried again on the next run. A
// signal skipped on every tick for the same reason is recorded once for the streak, not once a
// tick. The run's locks (the decisions lock, the signals' row locks) are taken
// before the savepoints and kept through a rollback to one, so no two runs decide one signal.
import type { Tx } from '../../db/client.js'
import { latestDecisionAbout, recordDecision } from '../../db/decision-audit-log.js'
import { isStatementRefusal, isUnanswered } from '../../db/errors.js'
import type { Static } from 'typebox'
import type { AnomalyRow } from '../../schemas/anomalies.js'
import type { HealingSkip } from '../../schemas/self-healing.js'
import { publishHealingSkip } from '../../telemetry.js'
import { ENGINE } from './audit.js'
import type { EngineContext } from './context.js'

/** An anomaly the run skipped, as the run's report (HealingSkip) gives it. */
export type Skipped = Static<typeof HealingSkip>

type SignalRow = Pick<
  AnomalyRow,
  'id' | 'user_id' | 'organization_id' | 'anomaly_type' | 'severity' | 'source_component_name'
>

// The database's refusal says what was wrong with the data, as DATA_RULE_BROKEN does; any other
// fault is the service's own, whose details stay in the log.
function why(error: unknown): string {
  const cause = isStatementRefusal(error) ? (error as Error).message : 'a fault in the service; its log has the details'
  return `no action could be planned or stored for it (${cause}); it is tried again on the next run`
}

/**
 * `work` for one signal in a savepoint of `tx`: its result, or undefined when it failed and the
 * signal was added to `skipped` (and, with `record`, to the audit log). A database that does not
 * answer is no fault of the signal's: that still fails the whole run.
 */
export async function skipOnFailure<T>(
  ctx: EngineContext,
  tx: Tx,
  anomaly: SignalRow,
  skipped: Skipped[],
  options: { record: boolean },
  work: (tx: Tx) => Promise<T>
): Promise<T | undefined> {
  try {
    return (await tx.savepoint(work)) as T
  } catch (error) {
    if (isUnanswered(error)) throw error
    ctx.log.error(
      { err: error, anomalyId: anomaly.id, organizationId: anomaly.organization_id },
      'no action could be decided for an anomaly; skipped'
    )
    const reason = why(error)
    if (options.record) {
      publishHealingSkip({})
      const last = await latestDecisionAbout(tx, ENGINE, { type: 'anomaly_signal', id: anomaly.id })
      if (last?.outcome !== 'skipped' || last.reasoning !== reason)
        await recordDecision(tx, {
          decision_type: 'action_chosen',
          component: ENGINE,
          subject_type: 'anomaly_signal',
          subject_id: anomaly.id,
          user_id: anomaly.user_id,
          organization_id: anomaly.organization_id,
          input: {
            anomaly_type: anomaly.anomaly_type,
            severity: anomaly.severity,
            component_name: anomaly.source_component_name
          },
          decision: { error_code: error instanceof Error ? ((error as { code?: unknown }).code ?? null) : null },
          outcome: 'skipped',
          reasoning: reason,
          actor: ctx.owner
        })
    }
    skipped.push({ anomaly_id: anomaly.id, reason })
    return undefined
  }
}
