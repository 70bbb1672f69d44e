-- selftest_results (seed 1.4): one row per run of a self-diagnostic test, with its
-- assertions, scores and comparison against a baseline run. execution_status is the run's
-- lifecycle (did it finish, time out, crash); test_result is its verdict. Scores are 0-100.
-- A result may pin an earlier result as its baseline; deleting old results (admins, and
-- the service role's retention) sets such references to null instead of failing.

create table selftest_results (
  id uuid primary key default gen_random_uuid(),
  user_id uuid,
  organization_id uuid,

  test_name text not null check (length(test_name) between 1 and 200),
  test_category text not null check (length(test_category) between 1 and 100),
  test_type text,
  test_description text,
  test_version text,

  execution_mode text not null default 'scheduled' check (execution_mode in ('scheduled', 'manual')),
  scheduled_by text,
  triggered_by_user_id uuid,
  trigger_reason text,

  target_component_type text,
  target_component_name text,
  target_environment text,

  execution_status text not null default 'pending'
    check (execution_status in ('pending', 'running', 'completed', 'timeout', 'error', 'skipped', 'cancelled')),
  started_at timestamptz,
  completed_at timestamptz,
  execution_duration_ms numeric check (execution_duration_ms >= 0),
  timeout_seconds integer check (timeout_seconds > 0),

  test_result text check (test_result in ('passed', 'failed', 'warning', 'skipped', 'error')),
  success boolean,
  pass_count integer not null default 0 check (pass_count >= 0),
  fail_count integer not null default 0 check (fail_count >= 0),
  warning_count integer not null default 0 check (warning_count >= 0),
  skip_count integer not null default 0 check (skip_count >= 0),
  total_assertions integer not null default 0 check (total_assertions >= 0),

  test_output text,
  test_summary text,
  failure_reason text,
  error_message text,
  error_stack_trace text,

  response_time_ms numeric check (response_time_ms >= 0),
  throughput_per_second numeric check (throughput_per_second >= 0),
  error_rate numeric check (error_rate between 0 and 100),
  cpu_usage_percent numeric check (cpu_usage_percent between 0 and 100),
  memory_usage_mb numeric check (memory_usage_mb >= 0),

  assertions_passed jsonb not null default '[]' check (jsonb_typeof(assertions_passed) = 'array'),
  assertions_failed jsonb not null default '[]' check (jsonb_typeof(assertions_failed) = 'array'),
  assertions_warnings jsonb not null default '[]' check (jsonb_typeof(assertions_warnings) = 'array'),

  baseline_test_id uuid references selftest_results (id) on delete set null,
  baseline_deviation_percentage numeric,
  regression_detected boolean not null default false,
  improvement_detected boolean not null default false,

  health_score numeric check (health_score between 0 and 100),
  reliability_score numeric check (reliability_score between 0 and 100),
  performance_score numeric check (performance_score between 0 and 100),
  security_score numeric check (security_score between 0 and 100),

  recommendations jsonb not null default '[]' check (jsonb_typeof(recommendations) = 'array'),
  action_required boolean not null default false,
  severity text check (severity in ('low', 'medium', 'high', 'critical')),

  notifications_sent jsonb not null default '[]',
  notification_channels text[] not null default '{}',
  alerted_users uuid[] not null default '{}',

  test_config jsonb not null default '{}' check (jsonb_typeof(test_config) = 'object'),
  test_parameters jsonb not null default '{}' check (jsonb_typeof(test_parameters) = 'object'),

  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint selftest_results_completed_after_started check (completed_at >= started_at),
  constraint selftest_results_not_own_baseline check (baseline_test_id <> id)
);

create trigger set_updated_at before update on selftest_results
  for each row execute function core314.set_updated_at();

-- Query paths: keyset lists newest first (all; own rows; one test, which also serves the
-- latest result per test, trends and baselines), organization statistics, regressions,
-- and results naming a baseline (without it, every deleted result would scan the table to
-- clear references to itself).
create index selftest_results_created_at_idx on selftest_results (created_at desc, id desc);
create index selftest_results_user_idx on selftest_results (user_id, created_at desc, id desc) where user_id is not null;
create index selftest_results_organization_idx on selftest_results (organization_id, created_at desc) where organization_id is not null;
create index selftest_results_test_idx on selftest_results (test_name, created_at desc, id desc);
create index selftest_results_regression_idx on selftest_results (created_at desc) where regression_detected;
create index selftest_results_baseline_idx on selftest_results (baseline_test_id) where baseline_test_id is not null;

revoke all on selftest_results from public, authenticated, service_role;
grant select, delete on selftest_results to authenticated;
grant select, insert, update, delete on selftest_results to service_role;

alter table selftest_results enable row level security, force row level security;

create policy "users read own rows" on selftest_results for select to authenticated
  using (user_id = (select core314.current_user_id()));
create policy "admins read all rows" on selftest_results for select to authenticated
  using ((select core314.is_admin()));
create policy "service role reads all rows" on selftest_results for select to service_role
  using ((select core314.is_service_role()));
create policy "service role inserts" on selftest_results for insert to service_role
  with check ((select core314.is_service_role()));
create policy "service role updates" on selftest_results for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
-- Retention: the service role by age (config), admins by request.
create policy "service role deletes" on selftest_results for delete to service_role
  using ((select core314.is_service_role()));
create policy "admins delete" on selftest_results for delete to authenticated
  using ((select core314.is_admin()));
