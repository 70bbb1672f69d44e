// An OTLP metrics export, mapped to health events and stored all at once as the caller. The
// answer is OTLP's: full success, or partial success naming how many points were refused and
// why; points of metrics nobody maps are ignored (told in the message), never refused.
import type { EventTimeBounds } from '../../config.js'
import type { Caller } from '../../db/caller.js'
import { insertHealthEventIds } from '../../db/health-events.js'
import type { Db } from '../../db/port.js'
import { mapExport, type CumulativeStreams, type ExportRequestObject } from './map-metrics.js'

export interface IngestOutcome {
  accepted: number
  rejected: number
  ignored: number
  eventIds: string[]
  /** For OTLP's partial_success.error_message; empty when there is nothing to say. */
  message: string
}

const NAMED_IGNORED = 5

function describe(rejections: string[], ignored: Map<string, number>): string {
  const parts: string[] = []
  if (rejections.length > 0) parts.push(`rejected: ${rejections.join('; ')}`)
  if (ignored.size > 0) {
    const names = [...ignored.keys()].slice(0, NAMED_IGNORED).join(', ')
    const more = ignored.size > NAMED_IGNORED ? ` and ${ignored.size - NAMED_IGNORED} more` : ''
    parts.push(
      `ignored ${[...ignored.values()].reduce((sum, count) => sum + count, 0)} data points of metrics not mapped to health events (${names}${more})`
    )
  }
  return parts.join('. ')
}

export async function ingestMetrics(
  db: Db,
  caller: Caller,
  organizationId: string | null,
  request: ExportRequestObject,
  streams: CumulativeStreams,
  bounds: EventTimeBounds
): Promise<IngestOutcome> {
  const mapped = mapExport(request, organizationId, streams, bounds, Date.now())
  const eventIds =
    mapped.events.length === 0
      ? []
      : await db.asCaller(caller, async tx => await insertHealthEventIds(tx, mapped.events))
  return {
    accepted: mapped.accepted,
    rejected: mapped.rejected,
    ignored: [...mapped.ignored.values()].reduce((sum, count) => sum + count, 0),
    eventIds,
    message: describe(mapped.rejections, mapped.ignored)
  }
}
