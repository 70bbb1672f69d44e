// job_runs: the last tick each job ran (or, for a job whose runs may overlap, started), shared
// by every instance on the database.
import type { Tx } from './client.js'

function errorText(failure: unknown): string | null {
  return failure === undefined ? null : failure instanceof Error ? failure.message : String(failure)
}

/**
 * Claims a job's tick for this instance: true only when this transaction holds the job's
 * advisory lock and no instance has run this tick yet. The lock lasts until the transaction ends.
 */
export async function claimTick(tx: Tx, job: string, tick: Date): Promise<boolean> {
  const [lock] = await tx<
    { locked: boolean }[]
  >`select pg_try_advisory_xact_lock(hashtext(${`core314.job.${job}`})) as locked`
  if (lock?.locked !== true) return false
  const [row] = await tx<{ last_tick: Date }[]>`select last_tick from job_runs where job_name = ${job}`
  return row === undefined || row.last_tick < tick
}

/**
 * Has PostgreSQL end this transaction's session once it sits idle for `ms`, which releases the
 * lock claimTick took: the holder keeps it only while it keeps calling touchLock.
 */
export async function limitLockSilence(tx: Tx, ms: number): Promise<void> {
  await tx`select set_config('idle_in_transaction_session_timeout', ${String(ms)}, true)`
}

export async function touchLock(tx: Tx): Promise<void> {
  await tx`select 1`
}

/** Records the tick a job ran, in the transaction that held its lock for the run. */
export async function recordTick(
  tx: Tx,
  job: string,
  tick: Date,
  outcome: 'succeeded' | 'failed',
  failure: unknown
): Promise<void> {
  const error = errorText(failure)
  await tx`
    insert into job_runs (job_name, last_tick, last_finished_at, last_outcome, last_error, run_count, failure_count)
    values (${job}, ${tick}, now(), ${outcome}, ${error}, 1, ${outcome === 'failed' ? 1 : 0})
    on conflict (job_name) do update set
      last_tick = excluded.last_tick,
      last_finished_at = excluded.last_finished_at,
      last_outcome = excluded.last_outcome,
      last_error = excluded.last_error,
      run_count = job_runs.run_count + 1,
      failure_count = job_runs.failure_count + excluded.failure_count`
}

/**
 * Claims `tick` for a job whose runs may overlap (after claimTick said it is free): recorded at
 * once, so other instances skip it, while the run itself holds no lock.
 */
export async function startTick(tx: Tx, job: string, tick: Date): Promise<void> {
  await tx`
    insert into job_runs (job_name, last_tick, run_count) values (${job}, ${tick}, 1)
    on conflict (job_name) do update set last_tick = excluded.last_tick, run_count = job_runs.run_count + 1`
}

/** The outcome of a run claimed with startTick. */
export async function finishTick(
  tx: Tx,
  job: string,
  outcome: 'succeeded' | 'failed',
  failure: unknown
): Promise<void> {
  await tx`
    update job_runs set
      last_finished_at = now(), last_outcome = ${outcome}, last_error = ${errorText(failure)},
      failure_count = failure_count + ${outcome === 'failed' ? 1 : 0}
    where job_name = ${job}`
}
