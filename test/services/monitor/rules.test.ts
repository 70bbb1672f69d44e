// The classification rules and the overall status on their own: boundaries (a limit reached
// is breached), both directions, the baseline's conditions, overrides laid over the defaults,
// and the weighting of the worst status by how many components share it.
import t from 'tap'
import { classify } from '../../../src/services/monitor/classify.js'
import { explainOverall, overallStatus } from '../../../src/services/monitor/overall.js'
import { DEFAULT_THRESHOLDS, resolveThresholds } from '../../../src/services/monitor/thresholds.js'

t.test('each level starts at its limit, in both directions', async t => {
  const status = (signals: Parameters<typeof classify>[0]) => classify(signals, undefined, DEFAULT_THRESHOLDS).status
  t.equal(status({ error_rate: 0.999 }), 'healthy')
  t.equal(status({ error_rate: 1 }), 'degraded')
  t.equal(status({ error_rate: 5 }), 'unhealthy')
  t.equal(status({ error_rate: 20 }), 'critical')
  t.equal(status({ latency_p95_ms: 999 }), 'healthy')
  t.equal(status({ latency_p95_ms: 2000 }), 'unhealthy')
  t.equal(status({ latency_p95_ms: 5000 }), 'critical')
  t.equal(status({ availability_percentage: 99.5 }), 'healthy')
  t.equal(status({ availability_percentage: 99 }), 'degraded')
  t.equal(status({ availability_percentage: 80 }), 'critical')
  t.equal(status({ integration_success_rate: 94 }), 'unhealthy')
  t.equal(status({ memory_usage_percent: 85 }), 'unhealthy')
  t.equal(status({ disk_usage_percent: 95 }), 'critical')
  t.equal(status({ db_cache_hit_rate: 96 }), 'healthy')
  t.equal(status({ db_cache_hit_rate: 90 }), 'unhealthy')
  t.equal(status({ db_connection_usage_percent: 70 }), 'degraded')
  t.equal(status({ error_rate: 0, cpu_usage_percent: 96 }), 'critical', 'the worst rule wins')
  t.equal(status({}), 'unknown', 'nothing judged: no data')
  t.equal(status({ error_rate: null, latency_p95_ms: null }), 'unknown')
})

t.test('the baseline rule needs enough history, a p95 above the floor, and the factor reached', async t => {
  const judge = (p95: number, usual: number | null, events: number) =>
    classify({ latency_p95_ms: p95 }, { latency_p95_ms: usual, events }, DEFAULT_THRESHOLDS)
  t.same(judge(400, 200, 5), {
    status: 'degraded',
    reasons: ['latency_p95_ms 400 >= 2 x usual 200 over 5 events (degraded)']
  })
  t.equal(judge(399, 200, 5).status, 'healthy')
  t.equal(judge(400, 200, 4).status, 'healthy', 'fewer events than min_events')
  t.equal(judge(99, 20, 30).status, 'healthy', 'under floor_ms')
  t.equal(judge(400, null, 0).status, 'healthy')
  t.equal(judge(2500, 200, 5).status, 'unhealthy', 'the absolute limit still applies, and is worse')
  t.equal(judge(2500, 200, 5).reasons.length, 2)
})

t.test('overrides replace only what they name', async t => {
  const resolved = resolveThresholds({ error_rate: { degraded: 0.5 }, baseline: { factor: 3 }, slow_query_ms: 250 })
  t.same(resolved.error_rate, { degraded: 0.5, unhealthy: 5, critical: 20 })
  t.same(resolved.baseline, { ...DEFAULT_THRESHOLDS.baseline, factor: 3 })
  t.equal(resolved.slow_query_ms, 250)
  t.same(resolved.latency_p95_ms, DEFAULT_THRESHOLDS.latency_p95_ms)
  t.equal(DEFAULT_THRESHOLDS.error_rate.degraded, 1, 'the defaults are not changed by a call')
})

t.test('overall: the worst status, one level milder when few components share it', async t => {
  const many = (status: 'healthy' | 'critical' | 'unhealthy' | 'degraded', n: number) =>
    Array.from({ length: n }, () => status)
  t.equal(overallStatus([], 0.25), 'unknown')
  t.equal(overallStatus(['unknown', 'unknown'], 0.25), 'unknown')
  t.equal(overallStatus(['healthy', 'unknown'], 0.25), 'healthy', 'unknown is no evidence')
  t.equal(overallStatus(['critical'], 0.25), 'critical')
  t.equal(overallStatus([...many('critical', 1), ...many('healthy', 3)], 0.25), 'critical', 'a quarter')
  t.equal(overallStatus([...many('critical', 1), ...many('healthy', 4)], 0.25), 'unhealthy', 'a fifth')
  t.equal(overallStatus([...many('critical', 1), ...many('unhealthy', 1), ...many('healthy', 6)], 0.25), 'unhealthy')
  t.equal(overallStatus([...many('unhealthy', 1), ...many('healthy', 99)], 0.25), 'degraded')
  t.equal(
    overallStatus([...many('degraded', 1), ...many('healthy', 99)], 0.25),
    'degraded',
    'never milder than degraded while any component is'
  )
  t.equal(
    overallStatus([...many('critical', 1), ...many('healthy', 9), 'unknown', 'unknown'], 0.1),
    'critical',
    'the share is configurable'
  )
  t.equal(
    explainOverall([...many('critical', 1), ...many('healthy', 4)], 0.25),
    'worst status critical in 1 of 5 components with data, under the 25% share: overall one level milder, unhealthy'
  )
})
