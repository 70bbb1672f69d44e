// Detection's catch-up on late history. The live run judges the recent window, so an event that
// arrives after its window has passed (an agent flushing what it buffered through a partition, a
// backfill through the batch API) would never be judged itself. The detect job records the
// components such events arrived for before its live run, which leaves them out, and after it
// judges each of them at every step of event time from its earliest late event up to now, the
// runs of a replay with `at`, several components a run where their steps meet. Progress is
// stored after every step, so a restart or another instance continues where this one stopped,
// and the budget only delays.
//
// Every component is judged forwards in event time: while its catch-up is pending the live run
// and the heal job leave it alone, and a catch-up never starts before the component's signals
// last changed, so it cannot contradict what a run already recorded for it.
import { performance } from 'node:perf_hooks'
import { SERVICE_CALLER } from '../../db/caller.js'
import {
  advanceCatchUps,
  finishCatchUps,
  forgetCatchUps,
  pendingCatchUps,
  recordLateArrivals,
  type PendingCatchUp
} from '../../db/detection-catch-ups.js'
import type { ComponentKey } from '../../db/organization-key.js'
import { runDetection, type DetectorDeps } from './detector.js'
import { rollUpHistory } from './rollup.js'
import { detectorSettings } from './settings.js'

const MINUTE_MS = 60_000

export interface LateArrivals {
  /** Components this look found late events for. */
  recorded: number
  /** Every component whose catch-up is pending: the live run leaves them out. */
  pending: ComponentKey[]
}

export interface CatchUpOptions {
  analyze: boolean
  now?: Date
}

export interface CatchUpPass {
  /** Detection runs made, each one step for the components due at it. */
  steps: number
  /** Signals those runs opened. */
  created: number
  /** Components judged up to now by this pass: the live run has them again. */
  finished: number
  /** Components still catching up when the budget ran out. */
  pending: number
}

interface Due {
  key: ComponentKey
  /** The next step to judge the component at, in epoch ms. */
  step: number
}

/** The first step on the grid at or after the catch-up's place and after the signals' last change. */
function firstStep(entry: PendingCatchUp, stepMs: number): number {
  const from = Math.max(entry.nextAt, (entry.lastSignalChangeAt ?? -Infinity) + 1)
  return Math.ceil(from / stepMs) * stepMs
}

/**
 * Records the components late events arrived for since the last look, leaving arrivals younger
 * than `settleMs` (a transaction that started earlier may still commit) to the next, and returns
 * every component whose catch-up is pending. With catching up off, forgets them all instead.
 */
export async function findLateArrivals(deps: DetectorDeps, settleMs: number): Promise<LateArrivals> {
  const settings = detectorSettings(deps.settings)
  return await deps.db.asCaller(SERVICE_CALLER, async tx => {
    if (settings.catchUpBudgetMs === 0) {
      // Off: late events are history only, and nothing waits for a catch-up that will not come.
      await forgetCatchUps(tx)
      return { recorded: 0, pending: [] }
    }
    const recorded = await recordLateArrivals(tx, settings.windowMinutes * MINUTE_MS, settleMs)
    const pending = (await pendingCatchUps(tx)).map(({ organizationId, componentName }) => ({
      organizationId,
      componentName
    }))
    return { recorded, pending }
  })
}

/** Judges the pending catch-ups step by step, oldest first, within the budget. */
export async function catchUp(deps: DetectorDeps, options: CatchUpOptions): Promise<CatchUpPass> {
  const started = performance.now()
  const settings = detectorSettings(deps.settings)
  const pass: CatchUpPass = { steps: 0, created: 0, finished: 0, pending: 0 }
  if (settings.catchUpBudgetMs === 0) return pass
  const { db } = deps
  const now = (options.now ?? new Date()).getTime()
  const stepMs = settings.catchUpStepMinutes * MINUTE_MS
  let due: Due[] = (await db.asCaller(SERVICE_CALLER, pendingCatchUps)).map(entry => ({
    key: { organizationId: entry.organizationId, componentName: entry.componentName },
    step: firstStep(entry, stepMs)
  }))
  const finish = async (done: Due[]): Promise<void> => {
    const keys = done.map(entry => entry.key)
    await db.asCaller(SERVICE_CALLER, async tx => await finishCatchUps(tx, keys))
    pass.finished += done.length
  }
  await finish(due.filter(entry => entry.step > now))
  due = due.filter(entry => entry.step <= now)
  if (due.length === 0) return pass
  // The late events' hours must be in the rolled-up history the steps read their baselines from.
  await rollUpHistory(db, deps.settings, new Date(now))
  // At least one step a pass, so a budget shorter than the bookkeeping still makes progress.
  do {
    const at = Math.min(...due.map(entry => entry.step))
    const atStep = due.filter(entry => entry.step === at)
    const keys = atStep.map(entry => entry.key)
    const run = await runDetection(deps, {
      at: new Date(at).toISOString(),
      only: keys,
      analyze: options.analyze,
      actor: 'detect-catch-up'
    })
    pass.steps++
    pass.created += run.created
    const next = at + stepMs
    if (next > now) {
      await finish(atStep)
      due = due.filter(entry => entry.step !== at)
    } else {
      await db.asCaller(SERVICE_CALLER, async tx => await advanceCatchUps(tx, keys, new Date(next)))
      for (const entry of atStep) entry.step = next
    }
  } while (due.length > 0 && performance.now() - started < settings.catchUpBudgetMs)
  pass.pending = due.length
  return pass
}
