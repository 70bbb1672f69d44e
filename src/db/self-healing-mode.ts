// The kill switch row: the one global mode of automatic healing (auto, dry_run, off).
import type { Tx } from './client.js'

export type HealingMode = 'auto' | 'dry_run' | 'off'

export interface ModeRow {
  mode: HealingMode
  reason: string | null
  updated_by: string | null
  updated_at: string
}

export async function readMode(tx: Tx): Promise<ModeRow> {
  const [row] = await tx<ModeRow[]>`select mode, reason, updated_by, updated_at from self_healing_settings where id`
  // The migration inserts the row; without it (a caller who cannot see it) healing stays off.
  return (
    row ?? {
      mode: 'off',
      reason: 'the self-healing settings row is missing',
      updated_by: null,
      updated_at: new Date(0).toISOString()
    }
  )
}

/** Changes the mode and returns the previous and new rows (the update locks it against a concurrent change). */
export async function writeMode(
  tx: Tx,
  mode: HealingMode,
  reason: string | null,
  updatedBy: string | null
): Promise<{ previous: ModeRow; current: ModeRow }> {
  const [previous] = await tx<
    ModeRow[]
  >`select mode, reason, updated_by, updated_at from self_healing_settings where id for update`
  const [current] = await tx<ModeRow[]>`
    update self_healing_settings set mode = ${mode}, reason = ${reason}, updated_by = ${updatedBy}
    where id
    returning mode, reason, updated_by, updated_at`
  if (previous === undefined || current === undefined) throw new Error('the self-healing settings row is missing')
  return { previous, current }
}
