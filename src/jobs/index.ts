// The scheduled jobs: each tick calls the same service function its route calls.
import type { Config } from '../config.js'
import type { JobDefinition } from './scheduler.js'

export function jobDefinitions (_config: Config): JobDefinition[] {
  return []
}
