// Runbook runs and their steps. A run is advanced one transaction at a time by whichever
// instance locks it (FOR UPDATE SKIP LOCKED), so each move of its state machine happens once;
// the work a step does is its recovery action, which the action queue claims with a lease.
import type { Tx } from './client.js'
import type { RecoveryActionRow } from '../schemas/recovery-actions.js'
import type { RunbookRunRow, RunbookRunStepRow } from '../schemas/runbooks.js'

export interface NewRun {
  organization_id: string
  runbook_id: string
  runbook_name: string
  runbook_version: number
  anomaly_id: string | null
  component_name: string
  component_type: string | null
  status: RunbookRunRow['status']
  outcome: string | null
}

const FINAL = ['succeeded', 'failed', 'stopped', 'escalated', 'rolled_back', 'held', 'dry_run']

/** The anomaly's run, unless it already has one (the unique index decides). */
export async function insertRun(tx: Tx, run: NewRun): Promise<RunbookRunRow | undefined> {
  const row = { ...run, finished_at: FINAL.includes(run.status) ? new Date() : null }
  const [inserted] = await tx<RunbookRunRow[]>`
    insert into runbook_runs ${tx(row as never, [
      'organization_id',
      'runbook_id',
      'runbook_name',
      'runbook_version',
      'anomaly_id',
      'component_name',
      'component_type',
      'status',
      'outcome',
      'finished_at'
    ])}
    on conflict (anomaly_id) where anomaly_id is not null do nothing
    returning *`
  return inserted
}

/** One unfinished run that is due (and not in `skip`), locked for this transaction; others skip it. */
export async function lockDueRun(tx: Tx, skip: string[]): Promise<RunbookRunRow | undefined> {
  const [row] = await tx<RunbookRunRow[]>`
    select * from runbook_runs
    where status in ('running', 'rolling_back') and next_check_at <= now() and id <> all(${skip}::uuid[])
    order by next_check_at, id
    limit 1
    for update skip locked`
  return row
}

export interface RunChange {
  status?: RunbookRunRow['status']
  current_step?: number
  outcome?: string
  /** Look again after this many seconds (0: on the next tick). */
  recheck_seconds?: number
}

export async function updateRun(tx: Tx, id: string, change: RunChange): Promise<RunbookRunRow> {
  const [row] = await tx<RunbookRunRow[]>`
    update runbook_runs set
      status = coalesce(${change.status ?? null}, status),
      current_step = coalesce(${change.current_step ?? null}::int, current_step),
      outcome = coalesce(${change.outcome ?? null}, outcome),
      next_check_at = now() + make_interval(secs => ${change.recheck_seconds ?? 0}::float8),
      finished_at = case when ${change.status ?? null}::text = any(${FINAL}::text[]) then now() else finished_at end
    where id = ${id}
    returning *`
  return row as RunbookRunRow
}

export interface NewStep {
  run_id: string
  step_index: number
  organization_id: string
  name: string | null
  action_type: string
  status: 'acting' | 'held' | 'simulated'
  action_id: string | null
}

export async function insertStep(tx: Tx, step: NewStep): Promise<void> {
  await tx`
    insert into runbook_run_steps ${tx(step as never, [
      'run_id',
      'step_index',
      'organization_id',
      'name',
      'action_type',
      'status',
      'action_id'
    ])}
    on conflict do nothing`
}

export interface StepChange {
  status: 'verifying' | 'passed' | 'failed' | 'simulated'
  verify_from?: Date
  verify_until?: Date
  verification?: Record<string, unknown>
}

export async function updateStep(tx: Tx, runId: string, index: number, change: StepChange): Promise<void> {
  const final = change.status !== 'verifying'
  await tx`
    update runbook_run_steps set
      status = ${change.status},
      verify_from = coalesce(${change.verify_from ?? null}::timestamptz, verify_from),
      verify_until = coalesce(${change.verify_until ?? null}::timestamptz, verify_until),
      verification = coalesce(${change.verification === undefined ? null : tx.json(change.verification as never)}, verification),
      finished_at = case when ${final} then now() else finished_at end
    where run_id = ${runId} and step_index = ${index}`
}

export type StepRow = RunbookRunStepRow

/**
 * The run's steps in order, each with its action's current status. The action's id and status
 * come from the action as the caller reads it: a member who may not read it sees neither.
 */
export async function stepsOf(tx: Tx, runId: string): Promise<StepRow[]> {
  return await tx<StepRow[]>`
    select s.step_index, s.name, s.action_type, s.status, a.id as action_id, a.execution_status as action_status,
      s.verify_from, s.verify_until, s.verification, s.started_at, s.finished_at
    from runbook_run_steps s left join recovery_actions a on a.id = s.action_id
    where s.run_id = ${runId}
    order by s.step_index`
}

export async function findRun(tx: Tx, id: string): Promise<RunbookRunRow | undefined> {
  const [row] = await tx<RunbookRunRow[]>`select * from runbook_runs where id = ${id}`
  return row
}

/** The run's step actions that succeeded and are not yet undone, the latest step first (the order to undo them). */
export async function undoableActions(tx: Tx, runId: string): Promise<RecoveryActionRow[]> {
  return await tx<RecoveryActionRow[]>`
    select * from recovery_actions
    where runbook_run_id = ${runId} and execution_status = 'succeeded' and rollback_action_id is null
    order by runbook_step desc`
}

/** A step's recovery action, unless the step already has one (the unique index decides). */
export async function insertStepAction(
  tx: Tx,
  row: Record<string, unknown>,
  columns: readonly string[]
): Promise<RecoveryActionRow | undefined> {
  const [inserted] = await tx<RecoveryActionRow[]>`
    insert into recovery_actions ${tx(
      row as never,
      columns.filter(column => row[column] !== undefined)
    )}
    on conflict (runbook_run_id, runbook_step) where runbook_run_id is not null do nothing
    returning *`
  return inserted
}

/** Which of these anomaly signals the caller may read (row-level security decides). */
export async function readableAnomalyIds(tx: Tx, ids: string[]): Promise<Set<string>> {
  const rows = await tx<Array<{ id: string }>>`select id from anomaly_signals where id = any (${ids}::uuid[])`
  return new Set(rows.map(row => row.id))
}
