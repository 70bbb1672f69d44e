// Every scheduled job ticked within its expected interval. job_runs holds the last tick each
// job ran on any instance; the cron expression says when it should last have ticked. A job
// whose latest due tick (allowing a minute for a run in progress, whose tick is recorded when
// it finishes) is missing has stalled: its instance died, its lock is stuck, or no instance
// runs jobs at all. Ticks due before this process started are not owed to it.
import { previousTick } from '../../../lib/cron.js'
import { reason } from '../assertions.js'
import type { SelftestDefinition } from '../types.js'

export const GRACE_MS = 60_000

interface JobRun {
  job_name: string
  last_tick: Date
  last_outcome: string
  last_error: string | null
}

export const jobFreshness: SelftestDefinition = {
  name: 'job_freshness',
  category: 'jobs',
  type: 'freshness',
  description: `Every job the configuration schedules has a tick in job_runs no older than its latest due tick (${GRACE_MS / 1000} s of grace for a run in progress); a last run that failed is a warning.`,
  version: '1.0.0',
  defaultSchedule: '*/5 * * * *',
  timeoutSeconds: 10,
  failureSeverity: 'high',
  target: { componentType: 'scheduler', componentName: 'job_runs' },
  parameters: () => ({ grace_seconds: GRACE_MS / 1000 }),
  run: async ({ db, jobs, processStartedAt, assert }) => {
    if (jobs.length === 0) {
      assert.skip('jobs_scheduled', 'no job is scheduled')
      return
    }
    let runs: JobRun[]
    try {
      runs = (
        await assert.probe(
          async () => await db.sql<JobRun[]>`select job_name, last_tick, last_outcome, last_error from job_runs`
        )
      ).value
    } catch (error) {
      assert.fail('job_runs_readable', `job_runs cannot be read: ${reason(error)}`)
      return
    }
    const byName = new Map(runs.map(run => [run.job_name, run]))
    const now = new Date()
    for (const job of jobs) {
      let due: Date
      try {
        due = previousTick(job.schedule, new Date(now.getTime() - GRACE_MS))
      } catch (error) {
        assert.fail(`${job.name}_ticking`, `schedule "${job.schedule}" cannot be read: ${reason(error)}`)
        continue
      }
      const run = byName.get(job.name)
      const details = {
        schedule: job.schedule,
        due_tick: due.toISOString(),
        last_tick: run?.last_tick.toISOString() ?? null
      }
      const fresh = run !== undefined && run.last_tick >= due
      if (!fresh && due < processStartedAt) {
        assert.skip(
          `${job.name}_ticking`,
          `no tick due since this process started at ${processStartedAt.toISOString()}`,
          { details }
        )
        continue
      }
      assert.check(
        `${job.name}_ticking`,
        fresh,
        {
          pass: `last tick ${run?.last_tick.toISOString() ?? ''} covers the tick due at ${due.toISOString()}`,
          fail:
            run === undefined
              ? `never ticked; a tick was due at ${due.toISOString()}`
              : `last tick ${run.last_tick.toISOString()} is older than the tick due at ${due.toISOString()}`
        },
        {
          details,
          recommendation: `Check that an instance runs jobs (JOBS_ENABLED) and that no ${job.name} run is stuck holding its lock`
        }
      )
      if (fresh && run.last_outcome === 'failed') {
        assert.warn(`${job.name}_last_run_succeeded`, `the last run failed: ${run.last_error ?? 'no error recorded'}`, {
          details,
          recommendation: `See the ${job.name} job's error in the logs`
        })
      }
    }
  }
}
