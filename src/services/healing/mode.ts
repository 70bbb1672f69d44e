// The kill switch: the global mode of automatic healing. auto acts; dry_run records what it
// would do as simulated actions; off decides nothing automatically and leaves queued automatic
// actions waiting (each new anomaly is escalated to people instead). Changes are audited in
// the same transaction as the change.
import type { Caller } from '../../db/caller.js'
import type { Db } from '../../db/port.js'
import { readMode, writeMode, type HealingMode, type ModeRow } from '../../db/self-healing-mode.js'
import { audit } from './audit.js'

export async function getHealingMode(db: Db, caller: Caller): Promise<ModeRow> {
  return await db.asCaller(caller, async tx => await readMode(tx))
}

export async function setHealingMode(
  db: Db,
  caller: Caller & { userId: string | null },
  mode: HealingMode,
  reason: string | null
): Promise<ModeRow> {
  return await db.asCaller(caller, async tx => {
    const { previous, current } = await writeMode(tx, mode, reason, caller.userId)
    await audit(tx, {
      type: 'mode_change',
      actor: caller.userId ?? 'service',
      outcome: mode,
      reasoning: reason ?? `self-healing mode changed from ${previous.mode} to ${mode}`,
      subject: { type: 'self_healing_mode', id: null },
      input: { previous: previous.mode },
      decision: { mode }
    })
    return current
  })
}
