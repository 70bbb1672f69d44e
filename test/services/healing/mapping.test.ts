// The anomaly-to-action table (the seed's by default, overridable, alert_escalation otherwise)
// and the before-and-after arithmetic of verification.
import t from 'tap'
import { checkMapping, chooseAction, SEED_ACTION_MAP } from '../../../src/services/healing/mapping.js'
import { assess, effectivenessScore, improvementPercent } from '../../../src/services/healing/measurement.js'

const policy = { actionMap: {}, defaultAction: 'alert_escalation' }
const anomaly = (anomaly_type: string, severity: 'low' | 'medium' | 'high' | 'critical') => ({
  id: '7d4a3c2e-1b0f-4e5d-9c8b-7a6f5e4d3c2b',
  anomaly_type,
  severity,
  anomaly_summary: null,
  anomaly_description: null,
  source_component_name: 'api'
})

t.test('the seed table maps type and severity to the action', async t => {
  const cases: Array<[string, 'high' | 'critical', string]> = [
    ['latency_spike', 'critical', 'restart_function'],
    ['latency_spike', 'high', 'clear_cache'],
    ['error_rate_increase', 'critical', 'rollback_deployment'],
    ['error_rate_increase', 'high', 'circuit_breaker'],
    ['resource_exhaustion', 'critical', 'scale_up'],
    ['resource_exhaustion', 'high', 'clear_cache']
  ]
  for (const [type, severity, expected] of cases) {
    t.match(
      chooseAction(anomaly(type, severity), policy),
      { actionType: expected, rule: `${type}:${severity}` },
      `${type} ${severity}`
    )
  }
  t.equal(Object.keys(SEED_ACTION_MAP).length, 6)
  t.same(chooseAction(anomaly('resource_exhaustion', 'critical'), policy).parameters, { delta: 1 })
})

t.test('anything else escalates by default, with the anomaly told to people', async t => {
  const choice = chooseAction(anomaly('latency_spike', 'medium'), policy)
  t.match(choice, {
    actionType: 'alert_escalation',
    rule: 'default',
    parameters: { severity: 'medium', title: 'latency spike on api', anomaly_id: String }
  })
  t.equal(chooseAction(anomaly('disk_full', 'critical'), policy).actionType, 'alert_escalation')
  t.equal(
    chooseAction(anomaly('disk_full', 'critical'), { ...policy, defaultAction: 'restart_function' }).actionType,
    'restart_function'
  )
})

t.test('configuration overrides entries and adds new ones; unknown action types fail the check', async t => {
  const custom = {
    actionMap: { 'latency_spike:critical': 'clear_cache', 'disk_full:high': 'scale_up' },
    defaultAction: 'alert_escalation'
  }
  t.equal(chooseAction(anomaly('latency_spike', 'critical'), custom).actionType, 'clear_cache')
  t.equal(chooseAction(anomaly('disk_full', 'high'), custom).actionType, 'scale_up')
  t.equal(
    chooseAction(anomaly('latency_spike', 'high'), custom).actionType,
    'clear_cache',
    'the rest of the seed table stays'
  )
  t.doesNotThrow(() => {
    checkMapping(custom)
  })
  t.throws(() => {
    checkMapping({ ...custom, actionMap: { 'x:high': 'format_disk' } })
  }, /format_disk/)
  t.throws(() => {
    checkMapping({ ...custom, defaultAction: 'page_everyone' })
  }, /page_everyone/)
})

t.test('improvement: signed so better is positive, averaged over shared metrics', async t => {
  t.equal(improvementPercent({ latency_ms: 1000, error_rate: 10 }, { latency_ms: 500, error_rate: 5 }), 50)
  t.equal(improvementPercent({ availability_percentage: 50 }, { availability_percentage: 75 }), 50)
  t.equal(improvementPercent({ cpu_usage_percent: 50 }, { cpu_usage_percent: 75 }), -50)
  t.equal(improvementPercent({ latency_ms: 100 }, { error_rate: 1 }), null)
  t.equal(effectivenessScore(100, 'healthy'), 100)
  t.equal(effectivenessScore(-20, 'critical'), 0)
  t.equal(effectivenessScore(50, 'degraded'), 50)
})

t.test(
  'assessment: verified at the threshold or on recovery, not improved below it, inconclusive without data',
  async t => {
    t.match(assess({ status: 'critical', latency_ms: 1000 }, { status: 'critical', latency_ms: 850 }, 10), {
      status: 'verified',
      improvement: 15
    })
    t.match(assess({ status: 'critical', latency_ms: 1000 }, { status: 'critical', latency_ms: 950 }, 10), {
      status: 'not_improved',
      improvement: 5
    })
    t.match(assess({ status: 'critical', latency_ms: 1000 }, { status: 'healthy', latency_ms: 990 }, 10), {
      status: 'verified'
    })
    t.same(assess(null, { status: 'healthy' }, 10), { status: 'inconclusive', improvement: null, score: null })
    t.same(assess({ latency_ms: 1 }, null, 10), { status: 'inconclusive', improvement: null, score: null })
  }
)
