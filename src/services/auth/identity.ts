// Who a verified token says is calling: the caller kind routes admit, and the database identity
// row-level security applies. Derived from the token's claims alone.
import type { Caller } from '../../db/caller.js'
import { UUID_PATTERN } from '../../lib/uuid.js'

/** ingest: an organization ingest key (src/plugins/auth.ts), admitted by the integration endpoints only. */
export type CallerKind = 'user' | 'admin' | 'service' | 'ingest'

export interface Identity extends Caller {
  kind: CallerKind
  /** The caller's user id, absent for the service role without a subject. */
  userId: string | null
}

export function identify(claims: Record<string, unknown>): Identity | null {
  const sub = typeof claims.sub === 'string' && UUID_PATTERN.test(claims.sub) ? claims.sub : null
  if (claims.role === 'service_role') return { kind: 'service', role: 'service_role', userId: sub, claims }
  if (claims.role !== 'authenticated' || sub === null) return null
  const metadata = claims.app_metadata as Record<string, unknown> | undefined
  const kind = metadata?.role === 'admin' ? 'admin' : 'user'
  return { kind, role: 'authenticated', userId: sub, claims }
}
