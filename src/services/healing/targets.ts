// A component's registered control targets in the shape executors take (absent fields left out).
import type { Tx } from '../../db/client.js'
import { findTarget } from '../../db/component-targets.js'
import type { ComponentTarget } from './executors/types.js'

export async function loadTarget (tx: Tx, componentName: string): Promise<ComponentTarget | null> {
  const row = await findTarget(tx, componentName)
  if (row === undefined) return null
  const present = Object.entries(row).filter(([key, value]) => value !== null && key !== 'organization_id')
  return Object.fromEntries(present) as unknown as ComponentTarget
}
