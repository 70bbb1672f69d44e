-- Silences, maintenance windows and deploy markers (issue 19): people saying "not now" to the
-- healing engine. A silence holds an organization's matching signals: they are still recorded,
-- but nothing automatic is decided for them and nothing is escalated until it ends. A deploy
-- marker is an event kept for analysis and rollback that opens a short silence of its own.

create table silences (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  -- [{name, value, is_regex, is_equal}], validated by the service (a regex is compiled there,
  -- never in SQL, so no caller-written pattern runs inside the database).
  matchers jsonb not null check (jsonb_typeof(matchers) = 'array' and jsonb_array_length(matchers) between 1 and 20),
  starts_at timestamptz not null,
  -- Expiring a pending silence sets both to the same moment, as Alertmanager does.
  ends_at timestamptz not null check (ends_at >= starts_at),
  comment text not null check (length(comment) between 1 and 1000),
  -- {cron | rrule, duration_minutes, time_zone}: inside [starts_at, ends_at) the silence holds
  -- only during each occurrence's window.
  recurrence jsonb check (recurrence is null or jsonb_typeof(recurrence) = 'object'),
  created_by uuid,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- The engine's and detector's lookup: the organization's silences not yet ended.
create index silences_organization_ends_idx on silences (organization_id, ends_at);
-- GET /v1/silences, newest first.
create index silences_organization_created_idx on silences (organization_id, created_at desc, id desc);

create trigger set_updated_at before update on silences
  for each row execute function core314.set_updated_at();

revoke all on silences from public, authenticated, service_role;
grant select on silences to authenticated;
grant insert, update (ends_at, starts_at, comment, updated_by) on silences to authenticated;
grant select, insert, update on silences to service_role;

alter table silences enable row level security, force row level security;

create policy "members read their organization's silences" on silences for select to authenticated
  using (organization_id = (select core314.current_organization_id()));
create policy "admins create silences for their organization" on silences for insert to authenticated
  with check ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "admins change their organization's silences" on silences for update to authenticated
  using ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()))
  with check ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "service role reads all" on silences for select to service_role using ((select core314.is_service_role()));
create policy "service role creates" on silences for insert to service_role with check ((select core314.is_service_role()));
create policy "service role updates" on silences for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));

create table deployments (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  component_name text not null check (length(component_name) between 1 and 200),
  version text not null check (length(version) between 1 and 100),
  environment text check (length(environment) between 1 and 50),
  -- The version deployed before this one, for rollback_deployment to return to.
  previous_version text,
  -- The maintenance window the marker opened.
  silence_id uuid references silences (id),
  deployed_by uuid,
  created_at timestamptz not null default now()
);

-- The component's latest deployment before a time (analysis, rollback, the previous version).
create index deployments_component_idx on deployments (organization_id, component_name, created_at desc);
-- GET /v1/deployments, newest first.
create index deployments_organization_idx on deployments (organization_id, created_at desc, id desc);

revoke all on deployments from public, authenticated, service_role;
grant select on deployments to authenticated;
grant insert on deployments to authenticated;
grant select, insert on deployments to service_role;

alter table deployments enable row level security, force row level security;

create policy "members read their organization's deployments" on deployments for select to authenticated
  using (organization_id = (select core314.current_organization_id()));
create policy "admins record deployments for their organization" on deployments for insert to authenticated
  with check ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "service role reads all" on deployments for select to service_role using ((select core314.is_service_role()));
create policy "service role records" on deployments for insert to service_role with check ((select core314.is_service_role()));

-- A signal held by a silence: which one, and until when this hold lasts (the silence's end, or
-- the end of the recurring window it fell in). The engine looks at it again after that.
alter table anomaly_signals add column silence_id uuid references silences (id);
alter table anomaly_signals add column silenced_until timestamptz;

-- The signals-held gauge and the engine's skip of held signals.
create index anomaly_signals_silenced_idx on anomaly_signals (silenced_until) where status = 'open' and silence_id is not null;
