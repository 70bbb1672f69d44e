// What a request leaves out, filled in the same way by every route. (An optional body is
// `config.optionalBody`, src/plugins/optional-body.ts.)
import { DAY_MS } from '../lib/time.js'

/** A report's period: the query's `since` and `until`, by default the last `days` days up to now. */
export function periodOf(
  query: { since?: string | undefined; until?: string | undefined },
  days = 1
): { since: string; until: string } {
  return {
    since: query.since ?? new Date(Date.now() - days * DAY_MS).toISOString(),
    until: query.until ?? new Date().toISOString()
  }
}
