// Recurring maintenance windows: a cron expression or an RFC 5545 RRULE says when each window
// opens, in an IANA time zone, so "Sundays 02:00 Berlin" stays 02:00 Berlin on both sides of a
// daylight-saving change. cron-parser and rrule-temporal do the calendar arithmetic with the
// zone's rules; this module only asks them for the latest opening at or before a moment.
import { CronExpressionParser } from 'cron-parser'
import { RRuleTemporal } from 'rrule-temporal'
import { InvalidFields } from '../../errors.js'
import type { RecurrenceInput } from '../../schemas/silences.js'

export interface Window {
  start: Date
  end: Date
}

// Windows that open every second or minute are not maintenance windows, and finding the latest
// opening of such a rule over months costs more than a decision should.
const REFUSED_FREQUENCIES = ['SECONDLY', 'MINUTELY']

function invalid(path: string, message: string): InvalidFields {
  return new InvalidFields([{ path, message }])
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** `at` as the zone's wall-clock time in iCalendar form (20261206T020000). */
function localStamp(at: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit'
  }).formatToParts(at)
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find(each => each.type === type)?.value ?? '00'
  return `${part('year')}${part('month')}${part('day')}T${part('hour')}${part('minute')}${part('second')}`
}

function ruleBody(rrule: string): string {
  return rrule.trim().replace(/^RRULE:/i, '')
}

function rruleOf(recurrence: RecurrenceInput, startsAt: Date): RRuleTemporal {
  return new RRuleTemporal({
    rruleString: `DTSTART;TZID=${recurrence.time_zone}:${localStamp(startsAt, recurrence.time_zone)}\nRRULE:${ruleBody(recurrence.rrule ?? '')}`
  })
}

/** The latest opening at or before `at`, or null when there is none. */
function latestOpening(recurrence: RecurrenceInput, startsAt: Date, at: Date): Date | null {
  if (recurrence.cron !== undefined) {
    // prev() is strictly before its start: start just after `at` so an opening at `at` counts.
    const expression = CronExpressionParser.parse(recurrence.cron, {
      currentDate: new Date(at.getTime() + 1000),
      tz: recurrence.time_zone
    })
    for (let tries = 0; tries < 3; tries++) {
      const opening = expression.prev().toDate()
      if (opening.getTime() <= at.getTime()) return opening
    }
    return null
  }
  const opening = rruleOf(recurrence, startsAt).previous(at, true)
  return opening === null ? null : new Date(opening.epochMilliseconds)
}

/**
 * Checks a recurrence before it is stored: exactly one of cron and rrule, a known time zone, an
 * expression its library accepts, and at least one window before `endsAt`. Errors name the field.
 */
export function checkRecurrence(recurrence: RecurrenceInput, startsAt: Date, endsAt: Date, path: string): void {
  if ((recurrence.cron === undefined) === (recurrence.rrule === undefined))
    throw invalid(path, 'must have exactly one of cron and rrule')
  if (!isTimeZone(recurrence.time_zone))
    throw invalid(`${path}/time_zone`, 'is not an IANA time zone (e.g. Europe/Berlin)')
  if (recurrence.cron !== undefined) {
    try {
      CronExpressionParser.parse(recurrence.cron, { tz: recurrence.time_zone })
    } catch (err) {
      throw invalid(`${path}/cron`, `is not a cron expression: ${(err as Error).message}`)
    }
  } else {
    const body = ruleBody(recurrence.rrule ?? '')
    if (/[\r\n]|DTSTART/i.test(body))
      throw invalid(`${path}/rrule`, 'must be the RRULE alone; the windows start from starts_at, in time_zone')
    const frequency = /(?:^|;)FREQ=([A-Z]+)/i.exec(body)?.[1]?.toUpperCase()
    if (frequency !== undefined && REFUSED_FREQUENCIES.includes(frequency))
      throw invalid(`${path}/rrule`, `FREQ=${frequency} is too frequent for a maintenance window (HOURLY at most)`)
    try {
      rruleOf(recurrence, startsAt)
    } catch (err) {
      throw invalid(`${path}/rrule`, `is not an RFC 5545 RRULE: ${(err as Error).message}`)
    }
  }
  let first: Date | null
  try {
    first = nextWindowStart(recurrence, startsAt, endsAt)
  } catch (err) {
    // rrule-temporal gives up with an error after 10,000 candidates that never match (February 30th).
    throw invalid(`${path}/rrule`, `has no window rrule-temporal can find: ${(err as Error).message}`)
  }
  if (first === null) throw invalid(path, 'has no window between starts_at and ends_at')
}

/** When the first window at or after startsAt opens (one already open at startsAt counts), before endsAt. */
function nextWindowStart(recurrence: RecurrenceInput, startsAt: Date, endsAt: Date): Date | null {
  if (windowAt(recurrence, startsAt, endsAt, startsAt) !== null) return startsAt
  let opening: Date | null
  if (recurrence.cron !== undefined) {
    opening = CronExpressionParser.parse(recurrence.cron, { currentDate: startsAt, tz: recurrence.time_zone })
      .next()
      .toDate()
  } else {
    const next = rruleOf(recurrence, startsAt).next(startsAt, true)
    opening = next === null ? null : new Date(next.epochMilliseconds)
  }
  return opening !== null && opening < endsAt ? opening : null
}

/** The window of the silence [startsAt, endsAt) that covers `at`, clipped to that range, or null. */
export function windowAt(recurrence: RecurrenceInput, startsAt: Date, endsAt: Date, at: Date): Window | null {
  if (at < startsAt || at >= endsAt) return null
  const opening = latestOpening(recurrence, startsAt, at)
  if (opening === null) return null
  const closing = new Date(opening.getTime() + recurrence.duration_minutes * 60_000)
  if (closing <= at) return null
  return { start: opening < startsAt ? startsAt : opening, end: closing > endsAt ? endsAt : closing }
}
