// The durations a runbook writes (`30s`, `2m`, `1h`), in seconds.
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 }

export const MAX_DURATION_SECONDS = 3600

/** Seconds of a duration the document schema admitted (digits then s, m or h). */
export function durationSeconds(duration: string | undefined): number {
  if (duration === undefined) return 0
  return Number(duration.slice(0, -1)) * (UNIT_SECONDS[duration.slice(-1)] ?? 0)
}
