// Circuit breaker state as callers read it, under row-level security.
import type { Caller } from '../db/caller.js'
import type { Db } from '../db/port.js'
import { findBreaker, listBreakers, type CircuitBreakerRow } from '../db/circuit-breakers.js'
import { errors } from '../errors.js'

export async function listCircuitBreakers (db: Db, caller: Caller, state: string | undefined): Promise<CircuitBreakerRow[]> {
  return await db.asCaller(caller, async (tx) => await listBreakers(tx, state ?? null))
}

export async function getCircuitBreaker (db: Db, caller: Caller, componentName: string): Promise<CircuitBreakerRow> {
  const row = await db.asCaller(caller, async (tx) => await findBreaker(tx, componentName))
  if (row === undefined) throw new errors.NotFound(`component ${componentName} has no circuit breaker (it was never opened, so it is closed)`)
  return row
}
