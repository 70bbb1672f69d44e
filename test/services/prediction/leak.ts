// Resource series for the forecaster's tests, ingested the way Core314 services send them:
// through the batch API, each event with its measurement window, so the forecast reads event time.
import type { TestApp } from '../../helpers/app.js'

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE

/** Now, on a whole minute: the newest event time a test may send (no future skew needed). */
export function wholeMinuteNow(): number {
  return Math.floor(Date.now() / MINUTE) * MINUTE
}

/** Deterministic noise in [-1, 1]. */
export const wobble = (i: number): number => (((i * 7919) % 23) - 11) / 11

/**
 * One event every 5 minutes over the 6 hours before `end` for `component` of `organizationId`,
 * each carrying `metrics(hoursBeforeEnd)`.
 */
export async function ingestSeries(
  ctx: TestApp,
  organizationId: string | null,
  component: string,
  end: number,
  metrics: (hoursBeforeEnd: number, i: number) => Record<string, number>
): Promise<void> {
  const events = Array.from({ length: 73 }, (_, i) => {
    const time = end - (72 - i) * 5 * MINUTE
    return {
      organization_id: organizationId,
      component_type: 'edge_function',
      component_name: component,
      status: 'healthy',
      measurement_window_start: new Date(time - 5 * MINUTE).toISOString(),
      measurement_window_end: new Date(time).toISOString(),
      ...metrics((time - end) / HOUR, i)
    }
  })
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/v1/health-events/batch',
    headers: ctx.service.headers,
    payload: { events }
  })
  if (res.statusCode !== 201) throw new Error(`batch: ${res.statusCode} ${res.body}`)
}
