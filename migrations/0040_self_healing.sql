-- What the self-healing engine keeps beyond recovery_actions: the kill switch (one row,
-- changed by admins and audited), the circuit breakers the circuit_breaker executor trips and
-- callers read, and the right of an admin to audit their own decisions (the mode change and
-- approvals happen in the admin's transaction, so the audit row is written there too).

create table self_healing_settings (
  -- One row only: the mode is global, and a second row could disagree with the first.
  id boolean primary key default true check (id),
  mode text not null default 'auto' check (mode in ('auto', 'dry_run', 'off')),
  reason text check (length(reason) <= 2000),
  updated_by uuid,
  updated_at timestamptz not null default now()
);
insert into self_healing_settings (id, mode) values (true, 'auto');

create trigger set_updated_at before update on self_healing_settings
  for each row execute function core314.set_updated_at();

revoke all on self_healing_settings from public, authenticated, service_role;
grant select, update (mode, reason, updated_by) on self_healing_settings to authenticated, service_role;

alter table self_healing_settings enable row level security, force row level security;

create policy "everyone reads the mode" on self_healing_settings for select to authenticated
  using (true);
create policy "service role reads the mode" on self_healing_settings for select to service_role
  using ((select core314.is_service_role()));
create policy "admins change the mode" on self_healing_settings for update to authenticated
  using ((select core314.is_admin())) with check ((select core314.is_admin()));
create policy "service role changes the mode" on self_healing_settings for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));

-- One breaker per component. open: callers should stop sending to it until next_probe_at;
-- half_open: let a probe through; closed: normal. The engine moves open to half_open when the
-- cooldown has passed and half_open to closed (or back to open) by the component's health.
create table circuit_breakers (
  component_name text primary key check (length(component_name) between 1 and 200),
  organization_id uuid,
  state text not null default 'closed' check (state in ('closed', 'open', 'half_open')),
  opened_at timestamptz,
  half_opened_at timestamptz,
  closed_at timestamptz,
  next_probe_at timestamptz,
  cooldown_seconds numeric not null default 60 check (cooldown_seconds >= 0),
  reason text,
  last_action_id uuid references recovery_actions (id) on delete set null,
  trip_count integer not null default 0 check (trip_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint circuit_breakers_open_has_times check (state <> 'open' or (opened_at is not null and next_probe_at is not null)),
  constraint circuit_breakers_half_open_has_time check (state <> 'half_open' or half_opened_at is not null)
);

create trigger set_updated_at before update on circuit_breakers
  for each row execute function core314.set_updated_at();

-- The engine's tick looks for breakers to move: open ones due a probe, half-open ones.
create index circuit_breakers_not_closed_idx on circuit_breakers (next_probe_at) where state <> 'closed';

revoke all on circuit_breakers from public, authenticated, service_role;
grant select on circuit_breakers to authenticated;
grant select, insert, update on circuit_breakers to service_role;

alter table circuit_breakers enable row level security, force row level security;

create policy "members read their organization's breakers" on circuit_breakers for select to authenticated
  using (organization_id is null or organization_id = (select core314.current_organization_id()) or (select core314.is_admin()));
create policy "service role reads all" on circuit_breakers for select to service_role
  using ((select core314.is_service_role()));
create policy "service role trips" on circuit_breakers for insert to service_role
  with check ((select core314.is_service_role()));
create policy "service role moves" on circuit_breakers for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));

-- Admins record the decisions they make themselves (mode changes, approvals), as themselves.
grant insert on decision_audit_log to authenticated;
create policy "admins record their own decisions" on decision_audit_log for insert to authenticated
  with check ((select core314.is_admin()) and actor = (select core314.current_user_id())::text);

-- The engine's search for open anomalies that have no automatic action yet.
create index anomaly_signals_open_idx on anomaly_signals (created_at) where status = 'open';
