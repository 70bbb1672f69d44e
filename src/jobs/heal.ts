// The heal job: each tick runs the engine's due work (expired approvals and leases, breakers,
// open anomalies, verifications, due actions) and logs a summary, not every row. It is not
// exclusive: the engine claims every action, anomaly and verification itself, so an attempt
// waiting on a silent endpoint, or an instance frozen mid-attempt, must not stop the next tick
// on another instance from running everything else and taking lapsed leases over. For the same
// reason one instance may have a few runs going: the claims keep them apart as they keep
// instances apart, and the bound keeps a silent endpoint from piling runs up.
import type { Config } from '../config.js'
import type { HealingEngine } from '../services/healing/engine.js'
import type { JobDefinition } from './scheduler.js'

export function healJob(config: Config, engine: HealingEngine): JobDefinition {
  return {
    name: 'heal',
    schedule: config.schedules.heal,
    exclusive: false,
    concurrency: 3,
    run: async ({ log, signal }) => {
      const report = await engine.runDue(signal)
      log.info(
        {
          mode: report.mode,
          decisions: report.decisions.length,
          held: report.decisions.filter(decision => decision.held_by !== null).length,
          skipped: report.skipped.length,
          runbook_runs_moved: report.runbook_runs.length,
          attempts: report.attempts.length,
          failed: report.attempts.filter(attempt => attempt.status === 'failed').length,
          verifications: report.verifications.length,
          approvals_expired: report.approvals_expired,
          leases_expired: report.leases_expired,
          breakers_moved: report.breakers.length
        },
        'heal done'
      )
    }
  }
}
