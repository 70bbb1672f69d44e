// What a request leaves out, filled in the same way by every route.
import { DAY_MS } from '../lib/time.js'

/** preValidation for a route whose body is optional: a bare POST is an empty object. */
export async function emptyBodyAsObject (request: { body: unknown }): Promise<void> {
  request.body ??= {}
}

/** A report's period: the query's `since` and `until`, by default the last `days` days up to now. */
export function periodOf (query: { since?: string | undefined, until?: string | undefined }, days = 1): { since: string, until: string } {
  return {
    since: query.since ?? new Date(Date.now() - days * DAY_MS).toISOString(),
    until: query.until ?? new Date().toISOString()
  }
}
