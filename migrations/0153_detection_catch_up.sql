-- Detection catches up on late history. The detect job judges the recent window at each tick, so
-- an event that arrives after its window has passed (an agent flushing what it buffered through a
-- partition, a backfill) would only ever be history for later baselines. The job now finds such
-- arrivals (system_health_events_created_at_idx) and, after its live run, judges their components
-- step by step from the earliest of them up to now, as a replay with `at` does; the live run and
-- healing leave a component alone while its catch-up is pending, so each component is judged
-- forwards in event time.
--
-- Internal to the detector, like detector_states: only the service role reads or writes these.
create table detection_catch_ups (
  organization_id uuid,
  component_name text not null,
  -- The next time to judge the component at; each step moves it on.
  next_at timestamptz not null,
  created_at timestamptz not null default now()
);

create unique index detection_catch_ups_key on detection_catch_ups (organization_id, component_name) nulls not distinct;

create table detection_catch_up_state (
  singleton boolean primary key default true check (singleton),
  -- Arrivals at or after this have not been looked at for lateness yet.
  arrivals_checked_from timestamptz not null
);

revoke all on detection_catch_ups, detection_catch_up_state from public, authenticated, service_role;
grant select, insert, update, delete on detection_catch_ups, detection_catch_up_state to service_role;

alter table detection_catch_ups enable row level security, force row level security;
alter table detection_catch_up_state enable row level security, force row level security;

create policy "service role maintains detection catch-ups" on detection_catch_ups for all to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
create policy "service role maintains the catch-up state" on detection_catch_up_state for all to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));

insert into detection_catch_up_state (arrivals_checked_from) values (now());
