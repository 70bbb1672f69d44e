// The self-healing engine: one object per process that the heal job, the self-healing routes
// and the execute/rollback routes share. All its state is in PostgreSQL, so any number of
// instances run it side by side: due actions are claimed with a lease (claims, SKIP LOCKED),
// decisions are serialised, and an instance that dies leaves only a lease that lapses.
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import type { HealingConfig } from '../../config.js'
import { SERVICE_CALLER } from '../../db/caller.js'
import type { Tx } from '../../db/client.js'
import type { Db } from '../../db/port.js'
import { advanceBreakers, type BreakerMove } from '../../db/circuit-breakers.js'
import {
  claimAction,
  claimDueActions,
  expireApprovals,
  expireLeases,
  type ClaimOptions
} from '../../db/healing-actions.js'
import { findRow } from '../../db/rows.js'
import { readMode, type HealingMode } from '../../db/self-healing-mode.js'
import type { RecoveryActionRow } from '../../schemas/recovery-actions.js'
import { errors } from '../../errors.js'
import { publishRunDuration } from '../../telemetry.js'
import { audit } from './audit.js'
import { escalationChannels } from './channels.js'
import { secretsKey } from '../secrets.js'
import { targetPolicy } from '../../lib/address-policy.js'
import type { EngineContext } from './context.js'
import { decide, preview, type Decision } from './decide.js'
import { handOff } from './handoff.js'
import { checkMapping } from './mapping.js'
import { createRollback, type RollbackPair } from './rollback.js'
import type { Skipped } from './skipped.js'
import { runClaimed, type AttemptReport } from './runner.js'
import { runDueVerifications, type VerificationReport } from './verification.js'
import { advanceRunbookRuns, type RunProgress } from '../runbooks/advance.js'
import { dryRunRunbook, type DryRunInput, type DryRunReport } from '../runbooks/dry-run.js'
import type { RunbookRow } from '../../schemas/runbooks.js'

export interface HealReport {
  mode: HealingMode
  approvals_expired: number
  leases_expired: number
  breakers: BreakerMove[]
  decisions: Decision[]
  skipped: Skipped[]
  runbook_runs: RunProgress[]
  attempts: AttemptReport[]
  verifications: VerificationReport[]
}

export interface RunRequest {
  anomalyId?: string | undefined
  dryRun?: boolean | undefined
}

export interface RunReport {
  mode: HealingMode
  dry_run: boolean
  decisions: Decision[]
  skipped: Skipped[]
  attempts: AttemptReport[]
}

/** Who asked: an admin's or service's id for the audit log. */
export interface Actor {
  id: string
  userId: string | null
}

export interface HealingEngine {
  owner: string
  /** The heal job's tick: everything that is due, on this instance's share of it. */
  runDue: (signal?: AbortSignal) => Promise<HealReport>
  /** POST /v1/self-healing/run: decide for open anomalies and run what was decided (or only preview it). */
  run: (request: RunRequest, signal?: AbortSignal) => Promise<RunReport>
  /** POST /v1/recovery-actions/{id}/execute: one attempt now. */
  execute: (id: string, actor: Actor) => Promise<RecoveryActionRow>
  /** POST /v1/recovery-actions/{id}/rollback: the linked rollback action, run now unless it waits for approval. */
  rollback: (id: string, reason: string, actor: Actor) => Promise<RollbackPair>
  /** POST /v1/runbooks/{name}/dry-run: what the runbook would do on a component now. */
  dryRunRunbook: (runbook: RunbookRow, input: DryRunInput) => Promise<DryRunReport>
}

export interface EngineOptions {
  db: Db
  config: HealingConfig
  /** SECRETS_KEY, which sealed the stored webhook secrets. */
  secretsKey: string
  log: FastifyBaseLogger
}

// One tick handles at most this many batches, so a flood of due work cannot hold the job lock for long.
const BATCHES_PER_TICK = 10

export function createHealingEngine(options: EngineOptions): HealingEngine {
  checkMapping(options.config)
  const ctx: EngineContext = {
    db: options.db,
    config: options.config,
    owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    channels: escalationChannels(options.config),
    policy: targetPolicy(options.config.allowedTargets),
    secretsKey: secretsKey(options.secretsKey),
    log: options.log
  }
  const claimOptions = (mode: HealingMode): ClaimOptions => ({
    owner: ctx.owner,
    graceMs: ctx.config.leaseGraceMs,
    includeAutomatic: mode !== 'off'
  })
  const asService = async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => await ctx.db.asCaller(SERVICE_CALLER, work)

  async function runQueue(mode: HealingMode, signal?: AbortSignal): Promise<AttemptReport[]> {
    const attempts: AttemptReport[] = []
    for (let batch = 0; batch < BATCHES_PER_TICK && signal?.aborted !== true; batch++) {
      const claimed = await asService(async tx => await claimDueActions(tx, ctx.config.batchSize, claimOptions(mode)))
      if (claimed.length === 0) break
      attempts.push(...(await Promise.all(claimed.map(async action => await runClaimed(ctx, action, mode, signal)))))
    }
    return attempts
  }

  async function expire(): Promise<{ approvals: number; leases: number }> {
    const limit = ctx.config.batchSize * BATCHES_PER_TICK
    const { approvals, leases } = await asService(async tx => {
      const expired = await expireApprovals(tx, limit)
      if (expired.length > 0) {
        await audit(
          tx,
          ...expired.map(action => ({
            type: 'approval' as const,
            actor: ctx.owner,
            outcome: 'expired',
            reasoning: action.execution_output ?? 'approval window passed',
            action
          }))
        )
      }
      return { approvals: expired, leases: await expireLeases(tx, limit) }
    })
    for (const action of approvals) {
      await handOff(ctx, action, {
        title: `${action.action_type} on ${action.target_component_name} was never approved`,
        reason: `the approval window closed at ${action.approval_expires_at ?? 'its deadline'} without a decision, so it was cancelled`
      })
    }
    return { approvals: approvals.length, leases: leases.length }
  }

  async function decideAndEscalate(anomalyId: string | null): Promise<Pick<HealReport, 'decisions' | 'skipped'>> {
    const run = await decide(ctx, anomalyId, ctx.config.batchSize * BATCHES_PER_TICK)
    for (const held of run.held) {
      await handOff(ctx, held.action, {
        title: `automatic ${held.action.action_type} on ${held.action.target_component_name} held`,
        reason: held.reason,
        severity: held.severity
      })
    }
    return { decisions: run.decisions, skipped: run.skipped }
  }

  async function currentMode(): Promise<HealingMode> {
    return (await asService(async tx => await readMode(tx))).mode
  }

  return {
    owner: ctx.owner,

    async runDue(signal) {
      const started = performance.now()
      const expired = await expire()
      const breakers = await asService(async tx => await advanceBreakers(tx))
      const { decisions, skipped } = await decideAndEscalate(null)
      const runbookRuns = await advanceRunbookRuns(ctx, ctx.config.batchSize * BATCHES_PER_TICK)
      const verifications = await runDueVerifications(ctx, ctx.config.batchSize * BATCHES_PER_TICK)
      const mode = await currentMode()
      const attempts = await runQueue(mode, signal)
      publishRunDuration({ kind: 'healing', seconds: (performance.now() - started) / 1000 })
      return {
        mode,
        approvals_expired: expired.approvals,
        leases_expired: expired.leases,
        breakers,
        decisions,
        skipped,
        runbook_runs: runbookRuns,
        attempts,
        verifications
      }
    },

    async run(request, signal) {
      const anomalyId = request.anomalyId ?? null
      if (request.dryRun === true) {
        const previewed = await preview(ctx, anomalyId, ctx.config.batchSize * BATCHES_PER_TICK)
        return { ...previewed, dry_run: true, attempts: [] }
      }
      const started = performance.now()
      const { decisions, skipped } = await decideAndEscalate(anomalyId)
      const mode = await currentMode()
      const attempts: AttemptReport[] = []
      const runnable = decisions.filter(
        decision => decision.action_id !== null && decision.execution_status === 'pending'
      )
      for (const decision of runnable) {
        const claimed = await asService(
          async tx => await claimAction(tx, decision.action_id as string, claimOptions(mode))
        )
        if (claimed !== undefined) attempts.push(await runClaimed(ctx, claimed, mode, signal))
      }
      publishRunDuration({ kind: 'healing', seconds: (performance.now() - started) / 1000 })
      return { mode, dry_run: false, decisions, skipped, attempts }
    },

    async execute(id, actor) {
      const mode = await currentMode()
      const claimed = await asService(async tx => {
        const action = await claimAction(tx, id, { ...claimOptions(mode), includeAutomatic: true })
        if (action === undefined) {
          const current = await findRow<RecoveryActionRow>(tx, 'recovery_actions', id)
          if (current === undefined) throw new errors.RecoveryActionNotFound(`recovery action ${id} not found`)
          const why =
            current.execution_status === 'pending_approval'
              ? "waits for an admin's approval"
              : `is ${current.execution_status}`
          throw new errors.ActionStateConflict(
            `recovery action ${id} ${why}; only a pending, approved or retry-scheduled action that nobody is running can be executed`
          )
        }
        await audit(tx, {
          type: 'attempt',
          actor: actor.id,
          outcome: 'requested',
          reasoning: 'executed on request (POST /execute)',
          action
        })
        return action
      })
      await runClaimed(ctx, claimed, mode)
      return await asService(
        async tx => (await findRow<RecoveryActionRow>(tx, 'recovery_actions', id)) as RecoveryActionRow
      )
    },

    async dryRunRunbook(runbook, input) {
      return await dryRunRunbook(ctx, runbook, input)
    },

    async rollback(id, reason, actor) {
      const pair = await createRollback(ctx, id, reason, actor)
      if (pair.rollback_action.execution_status !== 'pending') return pair
      const mode = await currentMode()
      const claimed = await asService(
        async tx => await claimAction(tx, pair.rollback_action.id, { ...claimOptions(mode), includeAutomatic: true })
      )
      if (claimed !== undefined) await runClaimed(ctx, claimed, mode)
      return await asService(async tx => ({
        action: (await findRow<RecoveryActionRow>(tx, 'recovery_actions', id)) as RecoveryActionRow,
        rollback_action: (await findRow<RecoveryActionRow>(
          tx,
          'recovery_actions',
          pair.rollback_action.id
        )) as RecoveryActionRow
      }))
    }
  }
}
