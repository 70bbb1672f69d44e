// What counts as the same anomaly for the cache.
import t from 'tap'
import { anomalySignature } from '../../../src/services/analysis/signature.js'
import { anomalyFacts } from './facts.js'

t.test('values equal to two significant figures are the same anomaly', async t => {
  t.equal(
    anomalySignature(anomalyFacts({ observed_value: 2450 })),
    anomalySignature(anomalyFacts({ observed_value: 2460 }))
  )
  t.equal(
    anomalySignature(anomalyFacts({ baseline_value: 801 })),
    anomalySignature(anomalyFacts({ baseline_value: 799 }))
  )
})

t.test('event text, points and the window do not change the signature', async t => {
  t.equal(
    anomalySignature(anomalyFacts({ event_text: ['a'], recent_points: [], window: { start: 'x', end: 'y' } })),
    anomalySignature(anomalyFacts({ event_text: ['b'] }))
  )
})

t.test('a different component, type, severity, metric, pattern or size is a different anomaly', async t => {
  const base = anomalySignature(anomalyFacts())
  const variants = [
    anomalyFacts({ component_name: 'billing-api' }),
    anomalyFacts({ component_type: 'database' }),
    anomalyFacts({ anomaly_type: 'error_rate_increase' }),
    anomalyFacts({ severity: 'critical' }),
    anomalyFacts({ metric_name: 'latency_p95_ms' }),
    anomalyFacts({ pattern_type: 'sustained_high' }),
    anomalyFacts({ observed_value: 4900 }),
    anomalyFacts({ baseline_value: 400 })
  ]
  for (const facts of variants) t.not(anomalySignature(facts), base)
})
