-- The Core314 tables this service reads and writes but does not own: execution_log (what the
-- monitor measures), decision_audit_log (where every monitor run, detection run and healing
-- decision is recorded), predictive_alerts and refinement_history (Phase 4 forecasts the
-- monitor watches), and escalation_events (where anomalies and failed actions go to people).
-- Each is created only when absent, so the service can run alone or attach to an existing
-- Core314 database; an existing table is kept as it is and must have at least these columns.
-- Row-level security is forced on each with the same pattern as the service's own tables:
-- users read their own rows, admins read all, the service role writes.

create table if not exists execution_log (
  id uuid primary key default gen_random_uuid(),
  user_id uuid,
  organization_id uuid,
  function_name text not null,
  status text not null check (status in ('success', 'error', 'timeout')),
  duration_ms numeric check (duration_ms >= 0),
  error_message text,
  integration_name text,
  retry_count integer not null default 0 check (retry_count >= 0),
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now()
);
-- The monitor aggregates one window of all functions, then of one function.
create index if not exists execution_log_created_at_idx on execution_log (created_at);
create index if not exists execution_log_function_created_at_idx on execution_log (function_name, created_at);

create table if not exists decision_audit_log (
  id uuid primary key default gen_random_uuid(),
  user_id uuid,
  organization_id uuid,
  decision_type text not null,
  component text not null,
  subject_type text,
  subject_id uuid,
  input jsonb not null default '{}',
  decision jsonb not null default '{}',
  outcome text,
  reasoning text,
  confidence_score numeric check (confidence_score between 0 and 1),
  actor text,
  duration_ms numeric check (duration_ms >= 0),
  created_at timestamptz not null default now()
);
create index if not exists decision_audit_log_created_at_idx on decision_audit_log (created_at desc, id desc);
create index if not exists decision_audit_log_subject_idx on decision_audit_log (subject_id, created_at desc) where subject_id is not null;

create table if not exists predictive_alerts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid,
  organization_id uuid,
  alert_type text not null,
  metric_name text not null,
  predicted_value numeric,
  actual_value numeric,
  threshold_value numeric,
  forecast_target_time timestamptz,
  confidence_score numeric check (confidence_score between 0 and 1),
  severity text check (severity in ('low', 'medium', 'high', 'critical')),
  message text,
  status text not null default 'active' check (status in ('active', 'acknowledged', 'resolved', 'expired')),
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists predictive_alerts_created_at_idx on predictive_alerts (created_at desc, id desc);

create table if not exists refinement_history (
  id uuid primary key default gen_random_uuid(),
  user_id uuid,
  organization_id uuid,
  model_name text not null,
  metric_name text,
  refinement_type text not null,
  previous_accuracy numeric check (previous_accuracy between 0 and 100),
  new_accuracy numeric check (new_accuracy between 0 and 100),
  deviation_percentage numeric,
  adjustments jsonb not null default '{}',
  reason text,
  created_at timestamptz not null default now()
);
create index if not exists refinement_history_created_at_idx on refinement_history (created_at desc, id desc);

create table if not exists escalation_events (
  id uuid primary key default gen_random_uuid(),
  user_id uuid,
  organization_id uuid,
  source_type text not null,
  source_id uuid,
  severity text not null check (severity in ('low', 'medium', 'high', 'critical')),
  title text not null,
  description text,
  status text not null default 'open' check (status in ('open', 'acknowledged', 'resolved')),
  notification_channels text[] not null default '{}',
  notifications_sent jsonb not null default '[]',
  acknowledged_by uuid,
  acknowledged_at timestamptz,
  resolved_by uuid,
  resolved_at timestamptz,
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists escalation_events_created_at_idx on escalation_events (created_at desc, id desc);
create index if not exists escalation_events_source_idx on escalation_events (source_type, source_id);
create index if not exists escalation_events_open_idx on escalation_events (created_at) where status <> 'resolved';

create or replace trigger set_updated_at before update on predictive_alerts
  for each row execute function core314.set_updated_at();
create or replace trigger set_updated_at before update on escalation_events
  for each row execute function core314.set_updated_at();

-- Owner lookups for users listing their own rows: partial, since most rows are the
-- system's own (user_id null) and never looked up by owner.
create index if not exists execution_log_user_idx on execution_log (user_id, created_at desc) where user_id is not null;
create index if not exists decision_audit_log_user_idx on decision_audit_log (user_id, created_at desc) where user_id is not null;
create index if not exists predictive_alerts_user_idx on predictive_alerts (user_id, created_at desc) where user_id is not null;
create index if not exists refinement_history_user_idx on refinement_history (user_id, created_at desc) where user_id is not null;
create index if not exists escalation_events_user_idx on escalation_events (user_id, created_at desc) where user_id is not null;

-- Privileges: whatever a Supabase default-privileges setup granted is withdrawn first, so
-- exactly what is granted here applies. Logs are append-only for the service role.
revoke all on execution_log, decision_audit_log, predictive_alerts, refinement_history, escalation_events
  from public, authenticated, service_role;
grant select on execution_log, decision_audit_log, predictive_alerts, refinement_history, escalation_events
  to authenticated, service_role;
grant insert on execution_log, decision_audit_log, refinement_history to service_role;
grant insert, update on predictive_alerts, escalation_events to service_role;

alter table execution_log enable row level security, force row level security;
alter table decision_audit_log enable row level security, force row level security;
alter table predictive_alerts enable row level security, force row level security;
alter table refinement_history enable row level security, force row level security;
alter table escalation_events enable row level security, force row level security;

create policy "users read own rows" on execution_log for select to authenticated
  using (user_id = (select core314.current_user_id()));
create policy "admins read all rows" on execution_log for select to authenticated
  using ((select core314.is_admin()));
create policy "service role reads all rows" on execution_log for select to service_role
  using ((select core314.is_service_role()));
create policy "service role inserts" on execution_log for insert to service_role
  with check ((select core314.is_service_role()));

create policy "users read own rows" on decision_audit_log for select to authenticated
  using (user_id = (select core314.current_user_id()));
create policy "admins read all rows" on decision_audit_log for select to authenticated
  using ((select core314.is_admin()));
create policy "service role reads all rows" on decision_audit_log for select to service_role
  using ((select core314.is_service_role()));
create policy "service role inserts" on decision_audit_log for insert to service_role
  with check ((select core314.is_service_role()));

create policy "users read own rows" on predictive_alerts for select to authenticated
  using (user_id = (select core314.current_user_id()));
create policy "admins read all rows" on predictive_alerts for select to authenticated
  using ((select core314.is_admin()));
create policy "service role reads all rows" on predictive_alerts for select to service_role
  using ((select core314.is_service_role()));
create policy "service role inserts" on predictive_alerts for insert to service_role
  with check ((select core314.is_service_role()));
create policy "service role updates" on predictive_alerts for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));

create policy "users read own rows" on refinement_history for select to authenticated
  using (user_id = (select core314.current_user_id()));
create policy "admins read all rows" on refinement_history for select to authenticated
  using ((select core314.is_admin()));
create policy "service role reads all rows" on refinement_history for select to service_role
  using ((select core314.is_service_role()));
create policy "service role inserts" on refinement_history for insert to service_role
  with check ((select core314.is_service_role()));

create policy "users read own rows" on escalation_events for select to authenticated
  using (user_id = (select core314.current_user_id()));
create policy "admins read all rows" on escalation_events for select to authenticated
  using ((select core314.is_admin()));
create policy "service role reads all rows" on escalation_events for select to service_role
  using ((select core314.is_service_role()));
create policy "service role inserts" on escalation_events for insert to service_role
  with check ((select core314.is_service_role()));
create policy "service role updates" on escalation_events for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
