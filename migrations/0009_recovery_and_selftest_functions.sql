-- The seed's helper functions for recovery actions and self-test results. SECURITY INVOKER,
-- like all the others, so row-level security applies inside them; same conventions and
-- SQLSTATEs as 0008 (C3404 not visible, C3409 forbidden transition, 22023 bad parameter).

-- Actions waiting to run or to be approved (pending, pending_approval, approved,
-- retry_scheduled), oldest first: the order the engine should serve them in.
create function get_pending_recovery_actions(
  p_component_name text default null,
  p_organization_id uuid default null,
  p_limit integer default 100
) returns setof recovery_actions
language sql stable
as $$
  select r.*
  from recovery_actions r
  where r.execution_status in ('pending', 'pending_approval', 'approved', 'retry_scheduled')
    and (p_component_name is null or r.target_component_name = p_component_name)
    and (p_organization_id is null or r.organization_id = p_organization_id)
  order by r.created_at, r.id
  limit p_limit
$$;

-- Per action type, for actions created in the window: counts by outcome, success rate
-- (percent of finished actions that succeeded; rolled-back ones count as not), and the
-- median time to recover (creation to completion of succeeded actions, seconds).
create function get_recovery_action_statistics(
  p_since timestamptz default now() - interval '24 hours',
  p_until timestamptz default now(),
  p_component_name text default null,
  p_organization_id uuid default null
) returns table (
  action_type text,
  total_count integer,
  succeeded_count integer,
  failed_count integer,
  unfinished_count integer,
  cancelled_count integer,
  rejected_count integer,
  dry_run_count integer,
  rolled_back_count integer,
  success_rate numeric,
  avg_execution_duration_ms numeric,
  median_time_to_recover_seconds numeric,
  avg_attempts numeric,
  avg_recovery_effectiveness_score numeric
)
language sql stable
as $$
  select
    r.action_type,
    count(*)::integer,
    (count(*) filter (where r.execution_status = 'succeeded'))::integer,
    (count(*) filter (where r.execution_status = 'failed'))::integer,
    (count(*) filter (where r.execution_status in ('pending', 'pending_approval', 'approved', 'running', 'retry_scheduled')))::integer,
    (count(*) filter (where r.execution_status = 'cancelled'))::integer,
    (count(*) filter (where r.execution_status = 'rejected'))::integer,
    (count(*) filter (where r.execution_status = 'dry_run'))::integer,
    (count(*) filter (where r.execution_status = 'rolled_back'))::integer,
    round(100.0 * count(*) filter (where r.execution_status = 'succeeded')
      / nullif(count(*) filter (where r.execution_status in ('succeeded', 'failed', 'rolled_back')), 0), 2),
    round(avg(r.execution_duration_ms), 2),
    round((percentile_cont(0.5) within group (order by extract(epoch from r.execution_completed_at - r.created_at))
      filter (where r.execution_status = 'succeeded'))::numeric, 2),
    round(avg(r.attempt_number), 2),
    round(avg(r.recovery_effectiveness_score), 2)
  from recovery_actions r
  where r.created_at between p_since and p_until
    and (p_component_name is null or r.target_component_name = p_component_name)
    and (p_organization_id is null or r.organization_id = p_organization_id)
  group by r.action_type
  order by count(*) desc, r.action_type
$$;

-- Records an execution step and returns the action. 'running' starts an attempt
-- (attempt_number + 1, execution_started_at and last_attempt_at now, next_retry_at
-- cleared); 'succeeded', 'failed', 'dry_run', 'cancelled' and 'rolled_back' finish it
-- (execution_completed_at, execution_duration_ms from the start, success true or false for
-- succeeded or failed, lease released). Result, output and error are kept when not given.
-- Retries go through schedule_recovery_action_retry and approvals through a plain update,
-- so any other status is 22023; a move the state machine forbids is C3409, an action not
-- visible (or not writable) to the caller C3404.
create function execute_recovery_action(
  p_action_id uuid,
  p_status text default 'running',
  p_result jsonb default null,
  p_output text default null,
  p_error text default null,
  p_error_code text default null
) returns recovery_actions
language plpgsql
as $$
declare
  finishing boolean := p_status in ('succeeded', 'failed', 'dry_run', 'cancelled', 'rolled_back');
  result recovery_actions;
begin
  if p_status is null or not (finishing or p_status = 'running') then
    raise exception using errcode = '22023',
      message = format('execute_recovery_action records running, succeeded, failed, dry_run, cancelled or rolled_back, not %L', p_status);
  end if;
  update recovery_actions r set
    execution_status = p_status,
    attempt_number = r.attempt_number + case when p_status = 'running' then 1 else 0 end,
    execution_started_at = case when p_status = 'running' then now() else r.execution_started_at end,
    last_attempt_at = case when p_status = 'running' then now() else r.last_attempt_at end,
    next_retry_at = case when p_status = 'running' then null else r.next_retry_at end,
    execution_completed_at = case when finishing then now() else null end,
    execution_duration_ms = case
      when finishing and r.execution_started_at is not null
        then round((extract(epoch from now() - r.execution_started_at) * 1000)::numeric, 3)
      else r.execution_duration_ms end,
    success = case p_status when 'succeeded' then true when 'failed' then false else r.success end,
    rollback_completed_at = case when p_status = 'rolled_back' then now() else r.rollback_completed_at end,
    lease_owner = case when finishing then null else r.lease_owner end,
    lease_expires_at = case when finishing then null else r.lease_expires_at end,
    execution_result = coalesce(p_result, r.execution_result),
    execution_output = coalesce(p_output, r.execution_output),
    execution_error = coalesce(p_error, r.execution_error),
    execution_error_code = coalesce(p_error_code, r.execution_error_code)
  where r.id = p_action_id
  returning r.* into result;
  if not found then
    raise exception using errcode = 'C3404', message = format('recovery action %s not found', p_action_id);
  end if;
  return result;
end
$$;

-- After a failed attempt: schedules the next one with exponential backoff from
-- retry_policy (delay = min(max_delay_seconds, base_delay_seconds * factor ^ (attempt_number
-- - 1)), less a random share of up to `jitter` of it; defaults 1 s, 2, 60 s, 0), or, when
-- attempt_number has reached max_attempts, marks the action failed for good. Either way the
-- lease is released and the error recorded. Returns the action: execution_status says
-- which happened. C3404 when not visible or not writable, C3409 from a final status.
create function schedule_recovery_action_retry(
  p_action_id uuid,
  p_error text default null,
  p_error_code text default null
) returns recovery_actions
language plpgsql
as $$
declare
  current_action recovery_actions;
  base_delay numeric;
  factor numeric;
  max_delay numeric;
  jitter numeric;
  delay_seconds numeric;
  result recovery_actions;
begin
  select * into current_action from recovery_actions r where r.id = p_action_id for update;
  if not found then
    raise exception using errcode = 'C3404', message = format('recovery action %s not found', p_action_id);
  end if;
  base_delay := coalesce((current_action.retry_policy ->> 'base_delay_seconds')::numeric, 1);
  factor := coalesce((current_action.retry_policy ->> 'factor')::numeric, 2);
  max_delay := coalesce((current_action.retry_policy ->> 'max_delay_seconds')::numeric, 60);
  jitter := coalesce((current_action.retry_policy ->> 'jitter')::numeric, 0);
  delay_seconds := least(max_delay, base_delay * power(factor, greatest(current_action.attempt_number - 1, 0)));
  delay_seconds := delay_seconds * (1 - jitter * random()::numeric);

  update recovery_actions r set
    execution_status = case when current_action.attempt_number >= current_action.max_attempts then 'failed' else 'retry_scheduled' end,
    next_retry_at = case when current_action.attempt_number >= current_action.max_attempts then null
      else now() + make_interval(secs => delay_seconds::double precision) end,
    success = case when current_action.attempt_number >= current_action.max_attempts then false else r.success end,
    execution_completed_at = case when current_action.attempt_number >= current_action.max_attempts then now() else r.execution_completed_at end,
    lease_owner = null,
    lease_expires_at = null,
    execution_error = coalesce(p_error, r.execution_error),
    execution_error_code = coalesce(p_error_code, r.execution_error_code)
  where r.id = p_action_id
  returning r.* into result;
  if not found then
    raise exception using errcode = 'C3404', message = format('recovery action %s not found', p_action_id);
  end if;
  return result;
end
$$;

-- The latest result of each test, by test name. For callers who see every row, test names
-- are few and results many, so it walks the distinct names through the (test_name,
-- created_at) index (a skip scan) and reads one row per name instead of sorting every
-- result. A user sees only their own results, so for them it starts from those through
-- the owner index (the skip scan would step over everyone else's rows).
create function get_latest_selftest_results(
  p_test_category text default null,
  p_component_name text default null,
  p_organization_id uuid default null
) returns setof selftest_results
language plpgsql stable
as $$
begin
  if core314.is_admin() or core314.is_service_role() then
    return query
    with recursive names (test_name) as (
      (select s.test_name from selftest_results s
       where (p_test_category is null or s.test_category = p_test_category)
         and (p_component_name is null or s.target_component_name = p_component_name)
         and (p_organization_id is null or s.organization_id = p_organization_id)
       order by s.test_name limit 1)
      union all
      select (select s.test_name from selftest_results s
              where s.test_name > n.test_name
                and (p_test_category is null or s.test_category = p_test_category)
                and (p_component_name is null or s.target_component_name = p_component_name)
                and (p_organization_id is null or s.organization_id = p_organization_id)
              order by s.test_name limit 1)
      from names n
      where n.test_name is not null
    )
    select latest.*
    from names n
    cross join lateral (
      select s.* from selftest_results s
      where s.test_name = n.test_name
        and (p_test_category is null or s.test_category = p_test_category)
        and (p_component_name is null or s.target_component_name = p_component_name)
        and (p_organization_id is null or s.organization_id = p_organization_id)
      order by s.created_at desc, s.id desc
      limit 1
    ) latest
    where n.test_name is not null
    order by latest.test_name;
  else
    return query
    select distinct on (s.test_name) s.*
    from selftest_results s
    where s.user_id = core314.current_user_id()
      and (p_test_category is null or s.test_category = p_test_category)
      and (p_component_name is null or s.target_component_name = p_component_name)
      and (p_organization_id is null or s.organization_id = p_organization_id)
    order by s.test_name, s.created_at desc, s.id desc;
  end if;
end
$$;

-- Per test over the window: runs, verdicts, pass rate (percent of runs with a verdict other
-- than skipped), durations, mean health score, regressions, and the latest run.
create function get_selftest_statistics(
  p_since timestamptz default now() - interval '24 hours',
  p_until timestamptz default now(),
  p_test_category text default null,
  p_organization_id uuid default null
) returns table (
  test_name text,
  test_category text,
  run_count integer,
  passed_count integer,
  failed_count integer,
  warning_count integer,
  error_count integer,
  pass_rate numeric,
  avg_execution_duration_ms numeric,
  p95_execution_duration_ms numeric,
  avg_health_score numeric,
  regression_count integer,
  last_run_at timestamptz,
  last_test_result text
)
language sql stable
as $$
  select
    s.test_name,
    s.test_category,
    count(*)::integer,
    (count(*) filter (where s.test_result = 'passed'))::integer,
    (count(*) filter (where s.test_result = 'failed'))::integer,
    (count(*) filter (where s.test_result = 'warning'))::integer,
    (count(*) filter (where s.test_result = 'error' or s.execution_status in ('timeout', 'error')))::integer,
    round(100.0 * count(*) filter (where s.test_result = 'passed')
      / nullif(count(*) filter (where s.test_result is not null and s.test_result <> 'skipped'), 0), 2),
    round(avg(s.execution_duration_ms), 2),
    round((percentile_cont(0.95) within group (order by s.execution_duration_ms))::numeric, 2),
    round(avg(s.health_score), 2),
    (count(*) filter (where s.regression_detected))::integer,
    max(s.created_at),
    (array_agg(s.test_result order by s.created_at desc, s.id desc))[1]
  from selftest_results s
  where s.created_at between p_since and p_until
    and (p_test_category is null or s.test_category = p_test_category)
    and (p_organization_id is null or s.organization_id = p_organization_id)
  group by s.test_name, s.test_category
  order by s.test_name, s.test_category
$$;

-- Time series per test in buckets of p_bucket, aligned to UTC midnight (bucket limits as in
-- get_performance_trends).
create function get_selftest_trends(
  p_test_name text default null,
  p_since timestamptz default now() - interval '7 days',
  p_until timestamptz default now(),
  p_bucket interval default interval '1 day',
  p_organization_id uuid default null
) returns table (
  bucket_start timestamptz,
  test_name text,
  run_count integer,
  pass_rate numeric,
  avg_execution_duration_ms numeric,
  avg_response_time_ms numeric,
  avg_health_score numeric,
  avg_reliability_score numeric,
  avg_performance_score numeric,
  avg_security_score numeric,
  regression_count integer
)
language sql stable
as $$
  select
    date_bin(p_bucket, s.created_at, timestamptz '2000-01-01 00:00:00+00'),
    s.test_name,
    count(*)::integer,
    round(100.0 * count(*) filter (where s.test_result = 'passed')
      / nullif(count(*) filter (where s.test_result is not null and s.test_result <> 'skipped'), 0), 2),
    round(avg(s.execution_duration_ms), 2),
    round(avg(s.response_time_ms), 2),
    round(avg(s.health_score), 2),
    round(avg(s.reliability_score), 2),
    round(avg(s.performance_score), 2),
    round(avg(s.security_score), 2),
    (count(*) filter (where s.regression_detected))::integer
  from selftest_results s
  where core314.check_bucket(p_since, p_until, p_bucket)
    and s.created_at between p_since and p_until
    and (p_test_name is null or s.test_name = p_test_name)
    and (p_organization_id is null or s.organization_id = p_organization_id)
  group by 1, 2
  order by 2, 1
$$;

-- Compares a result with its baseline: the result it pins (baseline_test_id, when still
-- visible), else the median of the last p_baseline_runs successful runs of the same test in
-- the same organization before it, else none. baseline_deviation_percentage is the change in
-- execution_duration_ms. A regression is a run that fails where the baseline passed, or
-- runs more than p_threshold_percentage slower; an improvement, one that passes where the
-- baseline failed, or runs that much faster. Read-only: the runner stores what it returns.
-- C3404 when the result is not visible to the caller.
create function compare_with_baseline(
  p_test_id uuid,
  p_baseline_runs integer default 10,
  p_threshold_percentage numeric default 20
) returns table (
  test_id uuid,
  test_name text,
  baseline_source text,
  baseline_test_id uuid,
  baseline_run_count integer,
  current_success boolean,
  baseline_success boolean,
  current_execution_duration_ms numeric,
  baseline_execution_duration_ms numeric,
  baseline_deviation_percentage numeric,
  current_response_time_ms numeric,
  baseline_response_time_ms numeric,
  response_time_deviation_percentage numeric,
  current_health_score numeric,
  baseline_health_score numeric,
  regression_detected boolean,
  improvement_detected boolean
)
language plpgsql stable
as $$
declare
  current_run selftest_results;
  pinned selftest_results;
  source text := 'none';
  runs integer := 0;
  base_success boolean;
  base_duration numeric;
  base_response numeric;
  base_health numeric;
  duration_deviation numeric;
  regressed boolean;
begin
  select * into current_run from selftest_results s where s.id = p_test_id;
  if not found then
    raise exception using errcode = 'C3404', message = format('self-test result %s not found', p_test_id);
  end if;

  if current_run.baseline_test_id is not null then
    select * into pinned from selftest_results s where s.id = current_run.baseline_test_id;
    if found then
      source := 'pinned';
      runs := 1;
      base_success := pinned.success;
      base_duration := pinned.execution_duration_ms;
      base_response := pinned.response_time_ms;
      base_health := pinned.health_score;
    end if;
  end if;

  if source = 'none' then
    select count(*)::integer,
      percentile_cont(0.5) within group (order by recent.execution_duration_ms),
      percentile_cont(0.5) within group (order by recent.response_time_ms),
      percentile_cont(0.5) within group (order by recent.health_score)
    into runs, base_duration, base_response, base_health
    from (
      select s.execution_duration_ms, s.response_time_ms, s.health_score
      from selftest_results s
      where s.test_name = current_run.test_name
        and s.organization_id is not distinct from current_run.organization_id
        and s.success
        and s.id <> current_run.id
        and (s.created_at, s.id) < (current_run.created_at, current_run.id)
      order by s.created_at desc, s.id desc
      limit p_baseline_runs
    ) recent;
    if runs > 0 then
      source := 'median_of_recent';
      base_success := true;
    end if;
  end if;

  duration_deviation := round(100 * (current_run.execution_duration_ms - base_duration) / nullif(base_duration, 0), 2);
  regressed := coalesce(base_success and current_run.success is not true, false)
    or coalesce(duration_deviation > p_threshold_percentage, false);

  return query select
    current_run.id,
    current_run.test_name,
    source,
    case when source = 'pinned' then current_run.baseline_test_id end,
    runs,
    current_run.success,
    base_success,
    current_run.execution_duration_ms,
    round(base_duration, 2),
    duration_deviation,
    current_run.response_time_ms,
    round(base_response, 2),
    round(100 * (current_run.response_time_ms - base_response) / nullif(base_response, 0), 2),
    current_run.health_score,
    round(base_health, 2),
    regressed,
    not regressed and (
      coalesce(current_run.success and base_success is false, false)
      or coalesce(duration_deviation < -p_threshold_percentage, false));
end
$$;
