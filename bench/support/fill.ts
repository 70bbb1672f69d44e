// The production-like volume the database benchmarks run on: a million health events over 30 days
// and 500 components in 50 organizations, and 100,000 rows of anomalies, recovery actions and
// self-test results, written as the service role so it works on any server.
import { performance } from 'node:perf_hooks'
import { SERVICE_CALLER } from '../../src/db/caller.js'
import type { Sql, Tx } from '../../src/db/client.js'

/** A million health events over 30 days and 500 components, and 100,000 rows in each other table. */
export async function fillDatabase(sql: Sql): Promise<void> {
  // Rows are written as the service role, so this works on any server, not only as a superuser.
  // Deterministic ids (md5 of a label) let the other tables refer to them.
  for (let batch = 0; batch < 10; batch++) {
    await commitAs(
      sql,
      `health events ${batch + 1}/10`,
      async tx =>
        await tx`
      insert into system_health_events (user_id, organization_id, component_type, component_name, environment, status,
        availability_percentage, latency_ms, latency_p50_ms, latency_p95_ms, latency_p99_ms, throughput_per_minute,
        error_count, error_rate, cpu_usage_percent, memory_usage_percent, created_at)
      select
        case when i % 5 = 0 then md5('user' || (i % 1000))::uuid end,
        md5('org' || (c % 50))::uuid,
        (array['edge_function', 'database', 'integration', 'api', 'worker'])[c % 5 + 1],
        'svc-' || lpad(c::text, 3, '0'),
        'production',
        s.status,
        case s.status when 'healthy' then 100 when 'degraded' then 99 - 4 * r2 when 'unhealthy' then 90 - 20 * r2 else 50 * r2 end,
        l.latency, l.latency * 0.8, l.latency * 1.8, l.latency * 2.5,
        500 + 400 * r2,
        (e.rate * 5)::integer, e.rate,
        least(100, 20 + 60 * r2 + case when s.status <> 'healthy' then 20 else 0 end),
        least(100, 30 + 50 * r2),
        now() - interval '30 days' + (i / 1e6) * interval '30 days'
      from generate_series(${batch * 100_000 + 1}::integer, ${(batch + 1) * 100_000}::integer) i
      cross join lateral (select i % 500 as c, random() as r1, random() as r2) v
      cross join lateral (select case when r1 < 0.90 then 'healthy' when r1 < 0.96 then 'degraded' when r1 < 0.99 then 'unhealthy' else 'critical' end as status) s
      cross join lateral (select round((exp(ln(120) + 0.5 * sqrt(-2 * ln(greatest(random(), 1e-9))) * cos(2 * pi() * random()))
        * case s.status when 'healthy' then 1 when 'degraded' then 2 when 'unhealthy' then 8 else 20 end)::numeric, 2) as latency) l
      cross join lateral (select round((case when s.status = 'healthy' then 0.5 * r2 else 5 + 30 * r2 end)::numeric, 2) as rate) e`
    )
  }
  await commitAs(
    sql,
    'anomaly signals',
    async tx =>
      await tx`
    insert into anomaly_signals (id, user_id, organization_id, anomaly_type, severity, confidence_score, source_type,
      source_component_type, source_component_name, baseline_value, observed_value, deviation_percentage,
      detection_method, detection_timestamp, last_observed_at, status, resolved_at, related_anomaly_ids, created_at)
    select md5('anomaly' || i)::uuid,
      case when i % 3 = 0 then md5('user' || (i % 1000))::uuid end,
      md5('org' || (i % 500 % 50))::uuid,
      (array['latency_spike', 'error_rate_increase', 'resource_exhaustion', 'selftest_failure', 'selftest_regression'])[(i / 500) % 5 + 1],
      (array['low', 'medium', 'medium', 'high', 'high', 'critical'])[i % 6 + 1],
      round((0.5 + 0.5 * random())::numeric, 4),
      'health_event',
      (array['edge_function', 'database', 'integration', 'api', 'worker'])[i % 500 % 5 + 1],
      'svc-' || lpad((i % 500)::text, 3, '0'),
      120, 120 * (2 + random() * 5), 100 + random() * 400,
      'rule_based',
      at.t, at.t + interval '5 minutes',
      st.status,
      case when st.status in ('resolved', 'false_positive') then at.t + (10 + random() * 120) * interval '1 minute' end,
      case when i % 20 = 0 and i > 1 then array[md5('anomaly' || (i - 1))::uuid] else '{}' end,
      at.t
    from generate_series(1, 100000) i
    cross join lateral (select now() - interval '30 days' + (i / 1e5) * interval '30 days' as t) at
    cross join lateral (select case
      when i > 97500 then (array['open', 'acknowledged', 'investigating'])[i % 3 + 1]
      when i % 7 = 0 then 'false_positive' else 'resolved' end as status) st`
  )
  await commitAs(
    sql,
    'recovery actions',
    async tx =>
      await tx`
    insert into recovery_actions (id, user_id, organization_id, action_type, trigger_type, triggered_by_anomaly_id,
      target_component_type, target_component_name, execution_status, requires_approval, approval_status,
      attempt_number, max_attempts, execution_started_at, execution_completed_at, execution_duration_ms, next_retry_at,
      lease_owner, lease_expires_at, success, recovery_effectiveness_score, created_at)
    select md5('action' || i)::uuid,
      case when i % 3 = 0 then md5('user' || (i % 1000))::uuid end,
      md5('org' || (i % 500 % 50))::uuid,
      (array['restart_function', 'scale_up', 'scale_down', 'clear_cache', 'reset_connection', 'rollback_deployment', 'circuit_breaker', 'alert_escalation'])[i % 8 + 1],
      case when i % 5 < 3 then 'automatic' else 'manual' end,
      case when i % 5 < 3 then md5('anomaly' || i)::uuid end,
      (array['edge_function', 'database', 'integration', 'api', 'worker'])[i % 500 % 5 + 1],
      'svc-' || lpad((i % 500)::text, 3, '0'),
      st.status,
      st.status in ('pending_approval', 'approved'),
      case st.status when 'pending_approval' then 'pending' when 'approved' then 'approved' else 'not_required' end,
      case when st.status in ('pending', 'pending_approval', 'approved') then 0 else 1 + i % 3 end,
      3,
      case when st.status not in ('pending', 'pending_approval', 'approved') then at.t + interval '2 seconds' end,
      case when st.status in ('succeeded', 'failed', 'rolled_back', 'cancelled', 'dry_run') then at.t + (5 + random() * 120) * interval '1 second' end,
      case when st.status in ('succeeded', 'failed', 'rolled_back', 'dry_run') then round((50 + random() * 3000)::numeric, 3) end,
      case when st.status = 'retry_scheduled' then now() + random() * interval '1 minute' end,
      case when st.status = 'running' then 'bench-instance' end,
      case when st.status = 'running' then now() + interval '1 minute' end,
      case st.status when 'succeeded' then true when 'failed' then false end,
      case when st.status = 'succeeded' then round((40 + random() * 60)::numeric, 2) end,
      at.t
    from generate_series(1, 100000) i
    cross join lateral (select now() - interval '30 days' + (i / 1e5) * interval '30 days' as t) at
    cross join lateral (select case
      when i > 99500 then (array['pending', 'pending_approval', 'approved', 'retry_scheduled', 'running'])[i % 5 + 1]
      when i % 20 = 0 then 'failed' when i % 33 = 0 then 'rolled_back' when i % 50 = 0 then 'cancelled'
      when i % 25 = 0 then 'dry_run' else 'succeeded' end as status) st`
  )
  await commitAs(
    sql,
    'self-test results',
    async tx =>
      await tx`
    insert into selftest_results (id, user_id, organization_id, test_name, test_category, execution_mode, execution_status,
      started_at, completed_at, execution_duration_ms, test_result, success, pass_count, fail_count, total_assertions,
      response_time_ms, health_score, reliability_score, performance_score, security_score, baseline_test_id,
      regression_detected, created_at)
    select md5('selftest' || i)::uuid,
      case when i % 3 = 0 then md5('user' || (i % 1000))::uuid end,
      md5('org' || (i % 50))::uuid,
      'selftest-' || lpad((i % 40)::text, 2, '0'),
      (array['database', 'security', 'detection', 'healing', 'analysis', 'api', 'jobs'])[i % 40 % 7 + 1],
      'scheduled', 'completed',
      at.t, at.t + d.ms * interval '1 millisecond', d.ms,
      v.result, v.result in ('passed', 'warning'),
      case when v.result = 'failed' then 4 else 5 end, case when v.result = 'failed' then 1 else 0 end, 5,
      round((d.ms / 10)::numeric, 2), round((60 + random() * 40)::numeric, 2), round((60 + random() * 40)::numeric, 2),
      round((60 + random() * 40)::numeric, 2), round((60 + random() * 40)::numeric, 2),
      case when i % 10 = 0 and i > 40 then md5('selftest' || (i - 40))::uuid end,
      v.result = 'failed',
      at.t
    from generate_series(1, 100000) i
    cross join lateral (select now() - interval '30 days' + (i / 1e5) * interval '30 days' as t) at
    cross join lateral (select round((20 + random() * 200)::numeric, 3) as ms) d
    cross join lateral (select case when i % 20 = 0 then 'failed' when i % 33 = 0 then 'warning' when i % 50 = 0 then 'error' else 'passed' end as result) v`
  )
}

async function commitAs(sql: Sql, label: string, work: (tx: Tx) => Promise<unknown>): Promise<void> {
  const start = performance.now()
  await sql.begin(async tx => {
    await tx`select set_config('role', 'service_role', true), set_config('request.jwt.claims', ${JSON.stringify(SERVICE_CALLER.claims)}, true)`
    await work(tx)
  })
  console.log(`  ${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`)
}
