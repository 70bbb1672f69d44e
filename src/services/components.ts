// The component registry: admins and services register control targets; everyone reads
// them without secrets (the webhook secret never leaves, URL passwords are masked).
import type { Caller } from '../db/caller.js'
import type { Db } from '../db/port.js'
import { findComponent, listComponents, upsertComponent } from '../db/components.js'
import type { ComponentInputBody, ComponentRow } from '../schemas/components.js'
import { errors } from '../errors.js'

function maskPassword (url: string | null): string | null {
  if (url === null) return null
  try {
    const parsed = new URL(url)
    if (parsed.password === '') return url
    parsed.password = '***'
    return parsed.toString()
  } catch {
    return url
  }
}

function present (row: ComponentRow): ComponentRow {
  return { ...row, redis_url: maskPassword(row.redis_url), database_url: maskPassword(row.database_url) }
}

export async function registerComponent (db: Db, caller: Caller, name: string, input: ComponentInputBody): Promise<ComponentRow> {
  return present(await db.asCaller(caller, async (tx) => await upsertComponent(tx, name, input)))
}

export async function getComponent (db: Db, caller: Caller, name: string): Promise<ComponentRow> {
  const row = await db.asCaller(caller, async (tx) => await findComponent(tx, name))
  if (row === undefined) throw new errors.NotFound(`component ${name} is not registered`)
  return present(row)
}

export async function listRegisteredComponents (db: Db, caller: Caller, componentType?: string): Promise<ComponentRow[]> {
  return (await db.asCaller(caller, async (tx) => await listComponents(tx, componentType ?? null))).map(present)
}
