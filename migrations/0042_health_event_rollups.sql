-- The detector's history, rolled up: one row per organization, component and hour of
-- system_health_events, holding for each metric how many events reported it and 21 quantiles of
-- its values (0%, 5%, ..., 100%, linear interpolation as percentile_cont computes them). Merged
-- as a mixture of piecewise-linear distributions they give the median/MAD and same-time-of-day
-- baselines of a day of history from 24 rows per component instead of 1,440 events, within a
-- stated tolerance (the detector tests hold them to it). The detect job rolls up each hour once
-- it has been closed for a few minutes; the detector reads raw events for everything newer, so a
-- rollup that lags only costs time, never correctness.
--
-- Internal to the detector: only the service role (the detect job and the detector) reads or
-- writes it, and people never see it through the API. The events it summarises stay readable by
-- their owners in system_health_events; a summary row mixes no organizations (the organization
-- is part of its key) but it is not a record anyone owns, so it gets no per-user policy.
create table health_event_rollups (
  organization_id uuid,
  component_name text not null,
  bucket_start timestamptz not null,
  -- The latest event's type and owner, as the raw read reports them for a component.
  component_type text not null,
  user_id uuid,
  event_count integer not null check (event_count > 0),
  first_event_at timestamptz not null,
  last_event_at timestamptz not null,
  latency_ms_count integer not null check (latency_ms_count >= 0),
  latency_ms_quantiles bytea,
  error_rate_count integer not null check (error_rate_count >= 0),
  error_rate_quantiles bytea,
  cpu_usage_percent_count integer not null check (cpu_usage_percent_count >= 0),
  cpu_usage_percent_quantiles bytea,
  memory_usage_percent_count integer not null check (memory_usage_percent_count >= 0),
  memory_usage_percent_quantiles bytea,
  disk_usage_percent_count integer not null check (disk_usage_percent_count >= 0),
  disk_usage_percent_quantiles bytea,
  rolled_up_at timestamptz not null default now(),
  -- The quantiles travel as the detector reads raw series: 21 big-endian float8 (float8send).
  constraint health_event_rollups_quantiles_size check (
    coalesce(length(latency_ms_quantiles), 168) = 168 and coalesce(length(error_rate_quantiles), 168) = 168
    and coalesce(length(cpu_usage_percent_quantiles), 168) = 168 and coalesce(length(memory_usage_percent_quantiles), 168) = 168
    and coalesce(length(disk_usage_percent_quantiles), 168) = 168)
);

-- The detector reads one organization's component's hours in order, every component at once.
create unique index health_event_rollups_key on health_event_rollups (organization_id, component_name, bucket_start) nulls not distinct;
-- Retention deletes the oldest hours.
create index health_event_rollups_bucket_idx on health_event_rollups (bucket_start);

-- Which hours are rolled up: every hour in [rolled_from, rolled_until) for every component. One row.
create table health_event_rollup_state (
  singleton boolean primary key default true check (singleton),
  rolled_from timestamptz not null,
  rolled_until timestamptz not null check (rolled_until >= rolled_from),
  updated_at timestamptz not null default now()
);

-- A metric's quantiles over one bucket packed as the rollup stores them; null when no event reported it.
create function core314.pack_quantiles(p_quantiles float8[]) returns bytea
language sql immutable parallel safe security invoker
as $$
  select string_agg(float8send(q), ''::bytea order by i) from unnest(p_quantiles) with ordinality as u(q, i)
$$;

revoke all on health_event_rollups, health_event_rollup_state from public, authenticated, service_role;
grant select, insert, update, delete on health_event_rollups, health_event_rollup_state to service_role;
revoke all on function core314.pack_quantiles(float8[]) from public;
grant execute on function core314.pack_quantiles(float8[]) to service_role;

alter table health_event_rollups enable row level security, force row level security;
alter table health_event_rollup_state enable row level security, force row level security;

create policy "service role maintains rollups" on health_event_rollups for all to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
create policy "service role maintains the rollup state" on health_event_rollup_state for all to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
