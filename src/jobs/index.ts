// The scheduled jobs: each tick calls the same service function its route calls.
import type { JobDeps } from './deps.js'
import type { JobDefinition } from './scheduler.js'
import { runMaintenance } from '../services/maintenance.js'
import { runDetection } from '../services/detection/detector.js'
import { catchUp, findLateArrivals } from '../services/detection/catch-up.js'
import { runPrediction } from '../services/prediction/run.js'
import { rollUpHistory } from '../services/detection/rollup.js'
import { analyzerFor } from '../services/detection/shared-analyzer.js'
import { healJob } from './heal.js'
import { JOB_TRIGGER, runMonitor } from '../services/monitor/run.js'
import { selftestJobs } from './selftests.js'

// A request's transaction ends within a second of its deadline; the rest is slack.
const CATCH_UP_SETTLE_MARGIN_MS = 5000

export function jobDefinitions(deps: JobDeps): JobDefinition[] {
  const { config, db } = deps
  return [
    {
      name: 'monitor',
      schedule: config.schedules.monitor,
      run: async ({ log }) => {
        const run = await runMonitor(db, JOB_TRIGGER)
        log.info(
          {
            run_id: run.run_id,
            overall_status: run.overall_status,
            status_counts: run.status_counts,
            events_created: run.events_created,
            duration_ms: run.duration_ms
          },
          'monitor run done'
        )
      }
    },
    {
      name: 'detect',
      schedule: config.schedules.detect,
      run: async ({ log }) => {
        const detector = { db, analyzer: analyzerFor(config), settings: config.detection }
        // The job asks the LLM only when a key is configured; without one the signals stay lean.
        const analyze = config.openaiApiKey !== undefined
        // Components with late events are left to their catch-up, so each is judged forwards in
        // event time; a statement storing events commits within the request deadline.
        const late = await findLateArrivals(detector, config.dbRequestTimeoutMs + CATCH_UP_SETTLE_MARGIN_MS)
        const run = await runDetection(detector, { analyze, actor: 'detect-job', except: late.pending })
        log.info(
          {
            components_evaluated: run.components_evaluated,
            created: run.created,
            updated: run.updated,
            resolved: run.resolved,
            duration_ms: run.duration_ms
          },
          'detection run done'
        )
        // After the live run: its latency does not wait on late history.
        const caughtUp = await catchUp(detector, { analyze })
        if (late.recorded + caughtUp.steps + caughtUp.pending > 0)
          log.info({ recorded: late.recorded, ...caughtUp }, 'detection catch-up done')
        // After the run, never before it: the rollup only makes later runs cheaper, it never changes what they see.
        log.info(await rollUpHistory(db, config.detection), 'history rollup done')
      }
    },
    {
      // Exclusive (the default): one run at a time across instances. Should two overlap anyway,
      // the unique open-alert and active-signal indexes make their writes one row each.
      name: 'predict',
      schedule: config.schedules.predict,
      run: async ({ log }) => {
        const { alerts: _alerts, ...run } = await runPrediction(
          { db, settings: config.prediction },
          { actor: 'predict-job' }
        )
        log.info(run, 'prediction run done')
      }
    },
    {
      name: 'maintenance',
      schedule: config.schedules.maintenance,
      run: async ({ log }) =>
        log.info(
          await runMaintenance(db, { selftestRetentionDays: config.selftests.retentionDays }),
          'maintenance done'
        )
    },
    healJob(config, deps.healing),
    ...selftestJobs(deps)
  ]
}
