-- Organization in every key (issue 14). A component is (organization_id, component_name):
-- `orchestrate-flow` of one organization and of another are two components with two
-- registrations, two breakers and two histories. A null organization is the platform's own
-- (the database, the service itself), which only admins and the service role see.
--
-- Existing rows keep their organization (null stays null, now meaning "platform"), so the
-- registry and the breakers migrate without losing a row: a name was unique before, so the
-- pair is unique too.

-- The organization as a key value: null (the platform) becomes the nil UUID, so one btree
-- expression serves equality for both and a set-based lookup can join on it.
create function core314.organization_key(p_organization_id uuid) returns uuid
language sql immutable parallel safe
as $$ select coalesce(p_organization_id, '00000000-0000-0000-0000-000000000000'::uuid) $$;

-- The registry.
alter table components drop constraint components_pkey;
alter table components add constraint components_key unique nulls not distinct (organization_id, component_name);
-- The key's leading column serves the per-organization list it used to.
drop index components_organization_idx;

drop policy "members read their organization's components" on components;
create policy "members read their organization's components" on components for select to authenticated
  using (organization_id = (select core314.current_organization_id()) or (select core314.is_admin()));

-- The breakers.
alter table circuit_breakers drop constraint circuit_breakers_pkey;
alter table circuit_breakers add constraint circuit_breakers_key unique nulls not distinct (organization_id, component_name);

drop policy "members read their organization's breakers" on circuit_breakers;
create policy "members read their organization's breakers" on circuit_breakers for select to authenticated
  using (organization_id = (select core314.current_organization_id()) or (select core314.is_admin()));

-- One organization's component's events newest first: the engine's before-and-after metrics,
-- the breakers' probes, the monitor's latency baselines, the detector's scorer replay and the
-- error text analysed. The index by name alone mixed every organization's `api` in one range.
create index system_health_events_component_key_idx
  on system_health_events (core314.organization_key(organization_id), component_name, created_at desc, id desc);
drop index system_health_events_component_idx;

-- The guards count one organization's component's automatic actions (lists filtered by name
-- keep recovery_actions_component_idx).
create index recovery_actions_component_key_idx
  on recovery_actions (core314.organization_key(organization_id), target_component_name, created_at desc);

-- The evidence rule. A signal's owner reads it only inside the organization it belongs to, so a
-- signal naming a user of another organization shows nothing to anyone but admins and the
-- service role. Signals the detector raises from health events carry no owner at all (it
-- writes user_id null): their baselines and error text come from every event of the
-- organization's component, which no single member may read, so only admins and the service
-- role read them, and no member can resolve one and stop its healing.
drop policy "users read own rows" on anomaly_signals;
create policy "users read own rows" on anomaly_signals for select to authenticated
  using (user_id = (select core314.current_user_id())
    and organization_id is not distinct from (select core314.current_organization_id()));
drop policy "users update own rows" on anomaly_signals;
create policy "users update own rows" on anomaly_signals for update to authenticated
  using (user_id = (select core314.current_user_id())
    and organization_id is not distinct from (select core314.current_organization_id()))
  with check (user_id = (select core314.current_user_id())
    and organization_id is not distinct from (select core314.current_organization_id()));

-- Signals the detector raised before this migration named the latest event's owner: they
-- become organization-wide, the owner kept in metadata for the record.
update anomaly_signals
set metadata = metadata || jsonb_build_object('owner_before_organization_keys', user_id), user_id = null
where user_id is not null and metadata->>'detector' = 'core314-detector';
