// The lateness rule of event time (docs/event-time.md): an event's measurement_window_end may lie
// up to the lateness bound before its arrival and up to the future skew after it. Within them a
// late or out-of-order event counts as if it had arrived on time; outside them it is refused
// before anything is stored, naming the field and the bound. A window that ends before it
// starts is named here too, rather than left to the table's check constraint, which cannot say
// which field or which event of a batch.
import type { EventTimeBounds } from '../config.js'
import { InvalidFields } from '../errors.js'

export interface Measured {
  measurement_window_start?: string | null | undefined
  measurement_window_end?: string | null | undefined
}

function duration(ms: number): string {
  const [size, unit] =
    ms % 86_400_000 === 0 && ms > 0
      ? [86_400_000, 'day']
      : ms % 3_600_000 === 0 && ms > 0
        ? [3_600_000, 'hour']
        : ms % 60_000 === 0 && ms > 0
          ? [60_000, 'minute']
          : [1000, 'second']
  const count = ms / size
  return `${count} ${unit}${count === 1 ? '' : 's'}`
}

/** Throws a 400 naming `<prefix>/<i>/measurement_window_end` (or `<prefix>/...` for one event) for each event outside the bounds or ending before it starts. */
export function checkEventTimes(
  events: readonly Measured[],
  bounds: EventTimeBounds,
  arrival: number,
  fieldOf: (index: number) => string
): void {
  const fields = events.flatMap((event, index) => {
    if (event.measurement_window_end == null) return []
    const time = Date.parse(event.measurement_window_end)
    if (event.measurement_window_start != null && Date.parse(event.measurement_window_start) > time)
      return [{ path: fieldOf(index), message: 'is before measurement_window_start' }]
    if (time < arrival - bounds.maxLatenessMs) {
      return [
        {
          path: fieldOf(index),
          message: `is more than ${duration(bounds.maxLatenessMs)} before arrival, the lateness bound (EVENT_MAX_LATENESS_MINUTES)`
        }
      ]
    }
    if (time > arrival + bounds.maxFutureSkewMs) {
      return [
        {
          path: fieldOf(index),
          message: `is more than ${duration(bounds.maxFutureSkewMs)} after arrival, the future skew bound (EVENT_MAX_FUTURE_SKEW_SECONDS)`
        }
      ]
    }
    return []
  })
  if (fields.length > 0) throw new InvalidFields(fields)
}
