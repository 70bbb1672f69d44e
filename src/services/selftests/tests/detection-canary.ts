// Detection canary: a synthetic latency spike on a synthetic component, judged by the real
// detector's evaluation (componentOf and planSignals, with the DETECT_* settings the detect
// route and job run with, then the canary's own overrides), must come out as a latency_spike signal; the same series without the spike must
// come out as nothing. The series lives in memory and the plan is never written, so the canary
// leaves no rows behind, which the last assertion checks in the database.
import { randomUUID } from 'node:crypto'
import type { DetectionConfig } from '../../../config.js'
import { SERVICE_CALLER } from '../../../db/caller.js'
import type { ComponentSeries } from '../../../db/health-series.js'
import { detectorSettings, type DetectorOverrides } from '../../detection/settings.js'
import { componentOf, planSignals } from '../../detection/signals.js'
import type { SelftestDefinition } from '../types.js'

const COMPONENT = 'selftest:detection_canary'
const BASELINE_MS = 120
const SPIKE_MS = 3000
const SPIKE_POINTS = 4
const MINUTE = 60_000

/** Three hours of steady latency every two minutes, then a minute apart through the window. */
function series(at: number, windowMinutes: number, spike: boolean): ComponentSeries {
  const windowStart = at - windowMinutes * MINUTE
  const times: number[] = []
  for (let t = windowStart - 3 * 60 * MINUTE; t < windowStart; t += 2 * MINUTE) times.push(t)
  const historyPoints = times.length
  for (let t = windowStart; t <= at; t += MINUTE) times.push(t)
  const constant = (value: number): Float64Array => new Float64Array(times.length).fill(value)
  return {
    organization_id: null,
    user_id: null,
    component_type: 'selftest_canary',
    component_name: COMPONENT,
    t: Float64Array.from(times),
    // A little deterministic noise, so the baseline has a spread like a real one.
    latency_ms: Float64Array.from(times, (_, index) =>
      spike && index >= times.length - SPIKE_POINTS ? SPIKE_MS : BASELINE_MS + (index % 7) * 3
    ),
    error_rate: constant(0.5),
    cpu_usage_percent: constant(30),
    memory_usage_percent: constant(40),
    disk_usage_percent: constant(50),
    throughput_per_minute: constant(600),
    window_ids: times.slice(historyPoints).map(() => randomUUID())
  }
}

/** The configured settings with the canary's overrides on top, rule by rule. */
function canarySettings(configured: DetectionConfig, overrides: DetectorOverrides): DetectorOverrides {
  const rules = { ...configured.rules } as NonNullable<DetectorOverrides['rules']>
  for (const [metric, rule] of Object.entries(overrides.rules ?? {}) as Array<[keyof typeof rules, object]>)
    rules[metric] = { ...rules[metric], ...rule }
  return { ...configured, ...overrides, rules }
}

export function createDetectionCanary(overrides: DetectorOverrides = {}): SelftestDefinition {
  return {
    name: 'detection_canary',
    category: 'detection',
    type: 'canary',
    description: `A synthetic component's steady latency (~${BASELINE_MS} ms) with a spike to ${SPIKE_MS} ms over its last ${SPIKE_POINTS} points, through the detector's own evaluation: the spike must plan a latency_spike signal, the steady series none; nothing is written.`,
    version: '1.0.0',
    defaultSchedule: null,
    timeoutSeconds: 15,
    failureSeverity: 'high',
    target: { componentType: 'detector', componentName: 'anomaly_detector' },
    parameters: config => ({
      baseline_ms: BASELINE_MS,
      spike_ms: SPIKE_MS,
      spike_points: SPIKE_POINTS,
      detector_settings: canarySettings(config.detection, overrides)
    }),
    run: async ({ db, assert, config }) => {
      const settings = detectorSettings(canarySettings(config.detection, overrides))
      const now = new Date()
      const windowStart = now.getTime() - settings.windowMinutes * MINUTE
      const judge = async (spike: boolean): Promise<ReturnType<typeof planSignals>> =>
        (
          await assert.probe(async () =>
            planSignals(
              [componentOf(series(now.getTime(), settings.windowMinutes, spike))],
              [],
              [],
              windowStart,
              now,
              settings
            )
          )
        ).value

      const spiked = await judge(true)
      const found = spiked.signals.find(signal => signal.draft.anomaly_type === 'latency_spike')
      assert.check(
        'spike_detected',
        found !== undefined,
        {
          pass: `the spike was found: ${String(found?.draft.severity)} latency_spike, ${String(found?.draft.detection_algorithm)}`,
          fail: `a ${SPIKE_MS} ms spike over a ${BASELINE_MS} ms baseline was not found (${spiked.signals.length} signals planned)`
        },
        {
          details: {
            planned: spiked.signals.map(signal => ({
              anomaly_type: signal.draft.anomaly_type,
              severity: signal.draft.severity,
              algorithm: signal.draft.detection_algorithm
            }))
          },
          recommendation:
            'The detector no longer finds an obvious latency spike: check its rules and settings before trusting a quiet anomaly list'
        }
      )
      if (found !== undefined) {
        assert.check('spike_observed_value', found.draft.observed_value === SPIKE_MS, {
          pass: `observed value ${SPIKE_MS} ms`,
          fail: `observed value ${String(found.draft.observed_value)} instead of ${SPIKE_MS} ms`
        })
      }

      const steady = await judge(false)
      assert.check(
        'steady_series_quiet',
        steady.signals.length === 0,
        {
          pass: 'the same series without the spike plans no signal',
          fail: `the steady series planned ${steady.signals.map(signal => signal.draft.anomaly_type).join(', ')}: the detector would page on normal traffic`
        },
        { recommendation: 'The detector fires on steady data: check its baselines and thresholds' }
      )

      const [left] = await db.asCaller(
        SERVICE_CALLER,
        async tx =>
          await tx<{ n: number }[]>`
        select count(*)::int as n from anomaly_signals where source_component_name = ${COMPONENT}`
      )
      assert.check('no_rows_left', left?.n === 0, {
        pass: 'no canary signal exists in the database',
        fail: `${left?.n ?? '?'} canary signals exist in the database`
      })
    }
  }
}
