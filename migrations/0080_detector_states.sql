-- The adaptive scorer's state per organization, component and metric, kept between detection
-- runs: a run feeds each metric it scores only the events after the state's position (event time,
-- then id) and stores the advanced state, so the live scorer is the one the NAB benchmark streams
-- (same code, same parameters, every point once, in order) and nothing about it lives in a
-- process: a restarted instance, or another one, continues from the same row.
--
-- Internal to the detector, like health_event_rollups: only the service role reads or writes it.
-- The state summarises one organization's component (the organization is part of its key); it is
-- not a record anyone owns, so it gets no per-user policy.
create table detector_states (
  organization_id uuid,
  component_name text not null,
  metric text not null check (metric in ('latency_ms', 'error_rate', 'cpu_usage_percent', 'memory_usage_percent', 'disk_usage_percent')),
  -- The last event fed, by the order the scorer reads events in.
  last_event_at timestamptz not null,
  last_event_id uuid not null,
  points_fed bigint not null check (points_fed > 0),
  state jsonb not null,
  updated_at timestamptz not null default now()
);

create unique index detector_states_key on detector_states (organization_id, component_name, metric) nulls not distinct;

revoke all on detector_states from public, authenticated, service_role;
grant select, insert, update, delete on detector_states to service_role;

alter table detector_states enable row level security, force row level security;

create policy "service role maintains detector states" on detector_states for all to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
