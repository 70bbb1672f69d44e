// Every executor the engine can run, found by action type. Adding a recovery action is one
// module exporting an Executor and one line in this list.
import { alertEscalation } from './alert-escalation.js'
import { circuitBreaker } from './circuit-breaker.js'
import { clearCache } from './clear-cache.js'
import { resetConnection } from './reset-connection.js'
import { restartFunction } from './restart-function.js'
import { rollbackDeployment } from './rollback-deployment.js'
import { scaleDown } from './scale-down.js'
import { scaleUp } from './scale-up.js'
import type { Executor } from './types.js'

export const executorRegistry: readonly Executor[] = [
  restartFunction,
  scaleUp,
  scaleDown,
  clearCache,
  resetConnection,
  rollbackDeployment,
  circuitBreaker,
  alertEscalation
]

const byType = new Map(executorRegistry.map(executor => [executor.type, executor]))

export function getExecutor(type: string): Executor | undefined {
  return byType.get(type)
}

export function executorTypes(): string[] {
  return [...byType.keys()]
}
