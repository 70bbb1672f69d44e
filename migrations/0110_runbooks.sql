-- Runbooks as code (issue 19): an organization's named, versioned remediation documents, the
-- runs the healing engine makes of them, and each run's steps. A step acts through an ordinary
-- recovery action linked back to its run and step (so the queue, leases, retries, approval and
-- guards are the ones every action has); the unique index on that link is what makes a step
-- act at most once, however many instances advance the run.

create table runbooks (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  name text not null check (name ~ '^[a-z0-9][a-z0-9_.-]{0,99}$'),
  version integer not null check (version >= 1),
  enabled boolean not null default true,
  -- The document as validated (JSON, also when it was sent as YAML).
  document jsonb not null check (jsonb_typeof(document) = 'object'),
  created_by uuid,
  created_at timestamptz not null default now(),
  disabled_at timestamptz,
  unique (organization_id, name, version)
);

-- The latest version of each name (the engine's match, lists and gets without a version).
create index runbooks_latest_idx on runbooks (organization_id, name, version desc);

revoke all on runbooks from public, authenticated, service_role;
grant select, insert, update on runbooks to authenticated, service_role;

alter table runbooks enable row level security, force row level security;

create policy "members read their organization's runbooks" on runbooks for select to authenticated
  using (organization_id = (select core314.current_organization_id()));
create policy "admins write their organization's runbooks" on runbooks for insert to authenticated
  with check ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "admins disable their organization's runbooks" on runbooks for update to authenticated
  using ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()))
  with check ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "service role reads all" on runbooks for select to service_role using ((select core314.is_service_role()));
create policy "service role creates" on runbooks for insert to service_role with check ((select core314.is_service_role()));
create policy "service role updates" on runbooks for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));

create table runbook_runs (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  runbook_id uuid not null references runbooks (id),
  runbook_name text not null,
  runbook_version integer not null,
  anomaly_id uuid references anomaly_signals (id) on delete set null,
  component_name text not null,
  component_type text,
  status text not null default 'running' check (status in (
    'running', 'rolling_back', 'succeeded', 'failed', 'stopped', 'escalated', 'rolled_back', 'held', 'dry_run')),
  current_step integer not null default 0 check (current_step >= 0),
  outcome text,
  -- When the engine should look at the run again (a wait or a verification window), so a tick
  -- reads only the runs that can move.
  next_check_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);

-- One run per anomaly: the engine's decision for an anomaly is a run or a mapped action, once.
create unique index runbook_runs_one_per_anomaly on runbook_runs (anomaly_id) where anomaly_id is not null;
-- The driver's queue: unfinished runs by when they are due.
create index runbook_runs_due_idx on runbook_runs (next_check_at) where status in ('running', 'rolling_back');
create index runbook_runs_organization_idx on runbook_runs (organization_id, created_at desc, id desc);

create trigger set_updated_at before update on runbook_runs
  for each row execute function core314.set_updated_at();

create table runbook_run_steps (
  run_id uuid not null references runbook_runs (id) on delete cascade,
  step_index integer not null check (step_index >= 0),
  organization_id uuid not null,
  name text,
  action_type text not null,
  status text not null check (status in ('acting', 'verifying', 'passed', 'failed', 'held', 'simulated')),
  action_id uuid references recovery_actions (id) on delete set null,
  verify_from timestamptz,
  verify_until timestamptz,
  verification jsonb,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  primary key (run_id, step_index)
);

alter table recovery_actions
  add column runbook_run_id uuid references runbook_runs (id) on delete set null,
  add column runbook_step integer check (runbook_step >= 0),
  add constraint recovery_actions_runbook_step_complete check ((runbook_run_id is null) = (runbook_step is null));

-- The exactly-once rule: a run's step has one action (its rollback is a separate, unlinked action).
create unique index recovery_actions_one_per_runbook_step on recovery_actions (runbook_run_id, runbook_step)
  where runbook_run_id is not null;

revoke all on runbook_runs, runbook_run_steps from public, authenticated, service_role;
grant select on runbook_runs, runbook_run_steps to authenticated;
grant select, insert, update on runbook_runs, runbook_run_steps to service_role;

alter table runbook_runs enable row level security, force row level security;
alter table runbook_run_steps enable row level security, force row level security;

create policy "members read their organization's runs" on runbook_runs for select to authenticated
  using (organization_id = (select core314.current_organization_id()));
create policy "service role reads all" on runbook_runs for select to service_role using ((select core314.is_service_role()));
create policy "service role creates" on runbook_runs for insert to service_role with check ((select core314.is_service_role()));
create policy "service role updates" on runbook_runs for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));

create policy "members read their organization's steps" on runbook_run_steps for select to authenticated
  using (organization_id = (select core314.current_organization_id()));
create policy "service role reads all" on runbook_run_steps for select to service_role using ((select core314.is_service_role()));
create policy "service role creates" on runbook_run_steps for insert to service_role with check ((select core314.is_service_role()));
create policy "service role updates" on runbook_run_steps for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
