// A component's registered control targets in the shape executors take (absent fields left out).
// The targets are the action's organization's: another organization's component of the same
// name is never acted on.
import type { Tx } from '../../db/client.js'
import { findTarget } from '../../db/component-targets.js'
import type { ComponentKey } from '../../db/organization-key.js'
import type { ComponentTarget } from './executors/types.js'

export async function loadTarget (tx: Tx, key: ComponentKey): Promise<ComponentTarget | null> {
  const row = await findTarget(tx, key)
  if (row === undefined) return null
  const present = Object.entries(row).filter(([key, value]) => value !== null && key !== 'organization_id')
  return Object.fromEntries(present) as unknown as ComponentTarget
}
