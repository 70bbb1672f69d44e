// Shared arrangements for the database-level tests: the callers (a user, another user, an
// admin, the service role) as the service builds them from a verified JWT, callers with
// broken or missing claims, and a database per test file with a superuser connection for
// arranging rows. Queries under test run through withCaller, the same path the service takes.
import { randomUUID } from 'node:crypto'
import type postgres from 'postgres'
import type { Test } from 'tap'
import type { Sql, Tx } from '../../src/db/client.js'
import { withCaller, type Caller, type DbRole } from '../../src/db/caller.js'
import type { HealthEventInputBody } from '../../src/schemas/health-events.js'
import { freshDatabase, ownerSql } from '../helpers/database.js'

/** The owner's connection or a caller's transaction: either can arrange rows. */
export type Db = postgres.ISql

export const ORG = randomUUID()
export const OTHER_ORG = randomUUID()
export const USER = randomUUID()
export const OTHER_USER = randomUUID()
export const ADMIN = randomUUID()

function userCaller(sub: string, organizationId: string, admin = false): Caller {
  const appMetadata = admin ? { organization_id: organizationId, role: 'admin' } : { organization_id: organizationId }
  return { role: 'authenticated', claims: { sub, role: 'authenticated', app_metadata: appMetadata } }
}

export const callers = {
  user: userCaller(USER, ORG),
  other: userCaller(OTHER_USER, OTHER_ORG),
  admin: userCaller(ADMIN, OTHER_ORG, true),
  service: { role: 'service_role', claims: { role: 'service_role', sub: null } } satisfies Caller
}
export type Who = keyof typeof callers
export const everyone: Who[] = ['user', 'other', 'admin', 'service']

/** Claims that must mean nobody: null leaves request.jwt.claims unset. */
export const brokenClaims: Array<{ name: string; role: DbRole; claims: string | null }> = [
  { name: 'missing claims', role: 'authenticated', claims: null },
  { name: 'empty claims', role: 'authenticated', claims: '' },
  { name: 'empty object', role: 'authenticated', claims: '{}' },
  { name: 'malformed JSON', role: 'authenticated', claims: '{"sub": ' },
  { name: 'a JSON array', role: 'authenticated', claims: '[]' },
  {
    name: 'a sub that is not a UUID',
    role: 'authenticated',
    claims: JSON.stringify({ sub: 'not-a-uuid', role: 'authenticated' })
  },
  { name: 'a numeric sub', role: 'authenticated', claims: JSON.stringify({ sub: 42, role: 'authenticated' }) },
  {
    name: 'admin flag without a sub',
    role: 'authenticated',
    claims: JSON.stringify({ role: 'authenticated', app_metadata: { role: 'admin' } })
  },
  { name: 'service role without its claim', role: 'service_role', claims: JSON.stringify({ sub: null }) },
  { name: 'service role with missing claims', role: 'service_role', claims: null },
  {
    name: 'service role claiming to be authenticated',
    role: 'service_role',
    claims: JSON.stringify({ role: 'authenticated', sub: USER })
  }
]

/** Runs work under a role with request.jwt.claims set to the raw text given (or left unset). */
export async function asRaw<T>(
  sql: Sql,
  role: DbRole,
  claims: string | null,
  work: (tx: Tx) => Promise<T>
): Promise<T> {
  return (await sql.begin(async tx => {
    await tx`select set_config('role', ${role}, true)`
    if (claims !== null) await tx`select set_config('request.jwt.claims', ${claims}, true)`
    return await work(tx)
  })) as T
}

export async function as<T>(sql: Sql, who: Who, work: (tx: Tx) => Promise<T>): Promise<T> {
  return await withCaller(sql, callers[who], work)
}

/** A migrated database of the test's own and a superuser connection to it. */
export async function database(t: Test): Promise<Sql> {
  const { url } = await freshDatabase(t)
  return ownerSql(t, url)
}

/** The error a refused statement raised, or undefined when it succeeded. */
export async function failure(work: Promise<unknown>): Promise<{ code: string; message: string } | undefined> {
  try {
    await work
    return undefined
  } catch (error) {
    const { code, message } = error as { code?: string; message: string }
    return { code: code ?? 'none', message }
  }
}

/** A health event as validation hands it over: the fields with defaults filled in. */
export function validatedEvent(overrides: Partial<HealthEventInputBody> = {}): HealthEventInputBody {
  return {
    component_type: 'api',
    component_name: `svc-${randomUUID()}`,
    environment: 'production',
    status: 'healthy',
    error_types: {},
    metadata: {},
    tags: [],
    ...overrides
  }
}

export function minutesAgo(minutes: number): Date {
  return new Date(Date.now() - minutes * 60_000)
}
