// The one cron grammar of the service (cron-parser's: 5 or 6 fields, seconds first when 6,
// L, #, ?, H, names and @macros; a day of month and a day of week both given mean either, as in
// Vixie cron). The configuration checks schedules with it, the scheduler ticks by it and the
// job-freshness self-test computes the tick it expects by it, so a schedule means one thing to
// all three: with two libraries, node-cron fired "0 0 1,15 * 1" only on a Monday the 1st or
// 15th while the self-test expected every Monday, the 1st and the 15th.
import { CronExpressionParser } from 'cron-parser'

/** Why `expression` is not a schedule, or undefined when it is one. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length
  if (!expression.trim().startsWith('@') && (fields < 5 || fields > 6)) return `has ${fields} fields, not 5 or 6`
  try {
    CronExpressionParser.parse(expression)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

/** The first time the schedule fires after `after`. */
export function nextTick(expression: string, after: Date): Date {
  return CronExpressionParser.parse(expression, { currentDate: after }).next().toDate()
}

/** The latest time the schedule fired at or before `at`. */
export function previousTick(expression: string, at: Date): Date {
  return CronExpressionParser.parse(expression, { currentDate: new Date(at.getTime() + 1) })
    .prev()
    .toDate()
}

// setTimeout's longest delay; a later tick is reached in steps.
const MAX_DELAY_MS = 2 ** 31 - 1

export interface CronTimer {
  stop: () => void
}

/**
 * Calls `onTick` with each time the schedule fires, from one timer re-armed after each. A tick
 * missed while the process was stopped or frozen is not made up: the next is the first after now.
 */
export function startCronTimer(expression: string, onTick: (at: Date) => void): CronTimer {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const arm = (after: Date): void => {
    const due = nextTick(expression, after)
    const wait = (): void => {
      if (stopped) return
      const delay = due.getTime() - Date.now()
      if (delay > 0) {
        timer = setTimeout(wait, Math.min(delay, MAX_DELAY_MS))
        return
      }
      onTick(due)
      arm(new Date(Math.max(Date.now(), due.getTime())))
    }
    wait()
  }
  arm(new Date())
  return {
    stop: () => {
      stopped = true
      clearTimeout(timer)
    }
  }
}
