// The rule-based analysis that stands whenever the LLM does not: deterministic, grounded in the
// facts, and recommending only allowed actions.
import t from 'tap'
import { ruleBasedAnalysis } from '../../../src/services/analysis/rule-based.js'
import type { AnomalyFacts } from '../../../src/services/analysis/types.js'
import { ALLOWED_ACTIONS, anomalyFacts } from './facts.js'

const types = (facts: AnomalyFacts, allowed: readonly string[] = ALLOWED_ACTIONS) =>
  ruleBasedAnalysis(facts, allowed).actions.map(action => action.action_type)

const resource = (overrides: Partial<AnomalyFacts>) =>
  anomalyFacts({
    anomaly_type: 'resource_exhaustion',
    metric_name: 'memory_usage_percent',
    baseline_value: 55,
    observed_value: 93,
    deviation_percentage: 69.09,
    ...overrides
  })

t.test("the seed's mapping picks the first action", async t => {
  const rows: Array<[AnomalyFacts, string]> = [
    [anomalyFacts({ severity: 'critical' }), 'restart_function'],
    [anomalyFacts({ severity: 'high' }), 'clear_cache'],
    [
      anomalyFacts({ anomaly_type: 'error_rate_increase', metric_name: 'error_rate', severity: 'critical' }),
      'rollback_deployment'
    ],
    [
      anomalyFacts({ anomaly_type: 'error_rate_increase', metric_name: 'error_rate', severity: 'high' }),
      'circuit_breaker'
    ],
    [resource({ severity: 'critical' }), 'scale_up'],
    [resource({ severity: 'high' }), 'clear_cache'],
    [anomalyFacts({ severity: 'medium' }), 'alert_escalation'],
    [anomalyFacts({ anomaly_type: 'adaptive_score', severity: 'high' }), 'alert_escalation']
  ]
  for (const [facts, first] of rows) t.equal(types(facts)[0], first, `${facts.anomaly_type} ${facts.severity}`)
})

t.test('a low-severity anomaly recommends no action', async t => {
  t.same(types(anomalyFacts({ severity: 'low' })), [])
})

t.test('only allowed actions are recommended', async t => {
  t.same(types(anomalyFacts({ severity: 'critical' }), ['scale_up', 'scale_down']), ['scale_up'])
  t.same(types(anomalyFacts({ severity: 'critical' }), []), [])
})

t.test('a serious anomaly with none of its remedies allowed escalates to people', async t => {
  t.same(types(anomalyFacts({ severity: 'high' }), ['alert_escalation', 'rollback_deployment']), ['alert_escalation'])
  t.same(
    types(anomalyFacts({ severity: 'medium' }), ['restart_function']),
    [],
    'unless escalation is not allowed either'
  )
})

t.test('every action has a reason', async t => {
  for (const action of ruleBasedAnalysis(anomalyFacts({ severity: 'critical' }), ALLOWED_ACTIONS).actions)
    t.ok(action.reason.length > 0)
})

t.test('the summary names the component, the metric and the numbers', async t => {
  const { summary } = ruleBasedAnalysis(anomalyFacts(), ALLOWED_ACTIONS)
  t.equal(
    summary,
    'High latency spike on edge_function checkout-api: latency_ms at 2450 ms, 206.25% above its baseline of 800 ms, showing a sudden spike.'
  )
  t.match(
    ruleBasedAnalysis(
      anomalyFacts({ deviation_percentage: -40, observed_value: 480, pattern_type: null }),
      ALLOWED_ACTIONS
    ).summary,
    /40% below its baseline of 800 ms\.$/
  )
})

t.test('the root cause follows the type and the pattern', async t => {
  const cause = (facts: AnomalyFacts) => ruleBasedAnalysis(facts, ALLOWED_ACTIONS).root_cause
  t.match(cause(anomalyFacts({ pattern_type: 'sudden_spike' })), /deployment/)
  t.match(cause(anomalyFacts({ pattern_type: 'gradual_increase' })), /leak|outgrowing/)
  t.match(
    cause(anomalyFacts({ anomaly_type: 'error_rate_increase', pattern_type: 'sustained_high' })),
    /persistent fault/
  )
  t.match(cause(resource({ metric_name: 'cpu_usage_percent' })), /CPU/)
  t.match(
    cause(resource({ metric_name: 'disk_usage_percent', pattern_type: 'gradual_increase' })),
    /Disk.*steady climb/s
  )
  t.match(cause(resource({ pattern_type: null })), /^Memory is nearly exhausted[^.]*\.$/)
  t.match(cause(anomalyFacts({ anomaly_type: 'adaptive_score' })), /latency_ms deviates from its baseline by 206.25%/)
})

t.test('related anomalies point to a shared cause', async t => {
  const analysis = ruleBasedAnalysis(
    anomalyFacts({
      related_anomalies: [
        {
          component_name: 'orders-db',
          anomaly_type: 'latency_spike',
          severity: 'high',
          metric_name: 'latency_ms',
          observed_value: 900
        },
        { component_name: 'payments', anomaly_type: 'error_rate_increase', severity: 'medium' }
      ]
    }),
    ALLOWED_ACTIONS
  )
  t.match(analysis.root_cause, /2 related anomalies .*orders-db, payments.*shared dependency/)
  t.same(analysis.evidence.at(-1)?.metrics, ['orders-db.latency_ms=900', 'payments.error_rate_increase'])
})

t.test('the evidence cites the metrics it rests on', async t => {
  const { evidence } = ruleBasedAnalysis(anomalyFacts(), ALLOWED_ACTIONS)
  t.same(evidence[0]?.metrics, ['latency_ms=2450', 'baseline_value=800', 'deviation_percentage=206.25'])
  t.same(evidence[1]?.metrics, ['latency_ms.first=790', 'latency_ms.last=2450', 'latency_ms.max=2450'])
  t.match(evidence[1]?.claim, /4 points .* from 790 to 2450.*sudden spike/)
  t.equal(
    ruleBasedAnalysis(anomalyFacts({ recent_points: [] }), ALLOWED_ACTIONS).evidence.length,
    1,
    'no trend claim without points'
  )
})

t.test('the business impact grows with severity and states the numbers in their unit', async t => {
  const impact = (facts: AnomalyFacts) => ruleBasedAnalysis(facts, ALLOWED_ACTIONS).business_impact
  t.match(impact(anomalyFacts({ severity: 'critical' })), /failures or timeouts now.*2450 ms against a usual 800 ms/)
  t.match(impact(anomalyFacts({ severity: 'low' })), /No broad user impact/)
  t.match(
    impact(
      anomalyFacts({
        anomaly_type: 'error_rate_increase',
        metric_name: 'error_rate',
        observed_value: 7.5,
        baseline_value: 1
      })
    ),
    /7\.5% against a usual 1%/
  )
})

t.test('the same facts give the same analysis', async t => {
  t.same(ruleBasedAnalysis(anomalyFacts(), ALLOWED_ACTIONS), ruleBasedAnalysis(anomalyFacts(), ALLOWED_ACTIONS))
})
