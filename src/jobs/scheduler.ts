// The job frame: cron schedules (src/lib/cron.ts) whose ticks run a service function. Each tick takes a
// PostgreSQL advisory lock for its job (held by a transaction for the length of the run) and
// records the tick it ran in job_runs, so with many instances a tick runs once: an instance
// that finds the lock taken, or the tick already done, skips it. A job that claims its own work
// (exclusive: false) holds the lock only to claim the tick, so a run stuck on the network or in
// a frozen process never stops the next tick elsewhere. An exclusive job's lock outlives its
// holder's silence by at most JOB_LOCK_TIMEOUT_MS: PostgreSQL ends a session idle in its
// transaction that long, and a live run keeps its session busy with a heartbeat, so a frozen
// instance stops the job everywhere only for that long. A job's runs still going locally (its
// `concurrency`, one unless it claims its own work) make the next tick skip. Outcomes are
// counted; failures are logged, never thrown.
import type { FastifyBaseLogger } from 'fastify'
import type { Sql } from '../db/client.js'
import type { Metrics } from '../plugins/metrics.js'
import { claimTick, finishTick, limitLockSilence, recordTick, startTick, touchLock } from '../db/job-runs.js'
import type { Tx } from '../db/client.js'
import { startCronTimer, type CronTimer } from '../lib/cron.js'

export interface JobContext {
  /** The scheduled time of this tick (whole seconds). */
  tick: Date
  signal: AbortSignal
  log: FastifyBaseLogger
}

export interface JobDefinition {
  name: string
  /** Cron expression (5 or 6 fields), or null when switched off. */
  schedule: string | null
  /**
   * True (the default): runs never overlap across instances, the lock is held for the run.
   * False: the tick is claimed and the lock released before the run, for a job whose runs may
   * overlap because it claims each piece of its work itself (the heal job's leased actions).
   */
  exclusive?: boolean
  /**
   * Runs of a non-exclusive job this instance may have going at once (default 1): a run stuck
   * on one piece of work need not hold back the next tick's other work.
   */
  concurrency?: number
  run: (context: JobContext) => Promise<unknown>
}

export type TickOutcome = 'succeeded' | 'failed' | 'skipped_overlap' | 'skipped_locked'

export interface SchedulerDeps {
  sql: Sql
  log: FastifyBaseLogger
  metrics: Pick<Metrics, 'jobRuns' | 'jobDuration'>
  /** JOB_LOCK_TIMEOUT_MS. */
  lockTimeoutMs: number
}

export class Scheduler {
  private readonly timers: CronTimer[] = []
  private readonly running = new Map<string, Set<Promise<TickOutcome>>>()
  private readonly abort = new AbortController()

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly jobs: JobDefinition[]
  ) {}

  start(): void {
    for (const job of this.jobs) {
      if (job.schedule === null) continue
      this.timers.push(
        startCronTimer(job.schedule, at => {
          void this.tick(job.name, at)
        })
      )
    }
  }

  /** Runs one tick of a job now, with the same locking as a scheduled tick. */
  async tick(name: string, at: Date = new Date()): Promise<TickOutcome> {
    const job = this.jobs.find(candidate => candidate.name === name)
    if (job === undefined) throw new Error(`no job named ${name}`)
    const tick = new Date(Math.floor(at.getTime() / 1000) * 1000)
    const runs = this.running.get(name) ?? new Set()
    const concurrency = job.exclusive === false ? (job.concurrency ?? 1) : 1
    if (runs.size >= concurrency || this.abort.signal.aborted) return this.count(name, 'skipped_overlap')
    const run = this.execute(job, tick)
    runs.add(run)
    this.running.set(name, runs)
    try {
      return await run
    } finally {
      runs.delete(run)
    }
  }

  /** Stops scheduling, then waits for ticks already running to finish. */
  async stop(): Promise<void> {
    for (const timer of this.timers) timer.stop()
    this.abort.abort()
    await Promise.allSettled([...this.running.values()].flatMap(runs => [...runs]))
  }

  private async execute(job: JobDefinition, tick: Date): Promise<TickOutcome> {
    const log = this.deps.log.child({ job: job.name, tick: tick.toISOString() })
    const started = performance.now()
    let outcome = 'skipped_locked' as TickOutcome
    let failure: unknown
    const run = async (): Promise<'succeeded' | 'failed'> => {
      try {
        await job.run({ tick, signal: this.abort.signal, log })
        return 'succeeded'
      } catch (err) {
        failure = err
        return 'failed'
      }
    }
    try {
      if (job.exclusive === false) {
        const claimed = await this.deps.sql.begin(async tx => {
          if (!(await claimTick(tx, job.name, tick))) return false
          await startTick(tx, job.name, tick)
          return true
        })
        if (claimed) {
          const ran = await run()
          outcome = ran
          await this.deps.sql.begin(async tx => {
            await finishTick(tx, job.name, ran, failure)
          })
        }
      } else {
        await this.deps.sql.begin(async tx => {
          if (!(await claimTick(tx, job.name, tick))) return
          const ran = await this.holdingLock(tx, run)
          outcome = ran
          await recordTick(tx, job.name, tick, ran, failure)
        })
      }
    } catch (err) {
      outcome = 'failed'
      failure = err
    }
    if (outcome === 'failed') log.error({ err: failure }, 'job run failed')
    if (outcome === 'succeeded' || outcome === 'failed') {
      this.deps.metrics.jobDuration.observe({ job_name: job.name }, (performance.now() - started) / 1000)
    }
    return this.count(job.name, outcome)
  }

  private async holdingLock<T>(tx: Tx, run: () => Promise<T>): Promise<T> {
    const timeout = this.deps.lockTimeoutMs
    await limitLockSilence(tx, timeout)
    let beat = Promise.resolve()
    // A failed beat means the session is gone; recording the tick reports it.
    const heartbeat = setInterval(() => {
      beat = touchLock(tx).catch(() => {})
    }, timeout / 3)
    try {
      return await run()
    } finally {
      clearInterval(heartbeat)
      await beat
    }
  }

  private count(job: string, outcome: TickOutcome): TickOutcome {
    this.deps.metrics.jobRuns.inc({ job_name: job, outcome })
    return outcome
  }
}
