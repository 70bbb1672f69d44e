-- The health helper functions keyed a component by its type and name alone, so a caller who
-- sees several organizations' rows (an admin, the service role) got one row adding up two
-- organizations' components of the same name. A component is (organization, name): every
-- function now groups by organization too and returns it (null: the platform's own). Adding an
-- output column changes the return type, so each function is dropped and created again.

drop function get_system_health_summary(timestamptz, timestamptz, text, uuid);
create function get_system_health_summary(
  p_since timestamptz default now() - interval '1 hour',
  p_until timestamptz default now(),
  p_component_type text default null,
  p_organization_id uuid default null
) returns table (
  organization_id uuid,
  component_type text,
  component_name text,
  status text,
  last_event_at timestamptz,
  event_count integer,
  unhealthy_event_count integer,
  avg_latency_ms numeric,
  max_latency_p95_ms numeric,
  avg_error_rate numeric,
  total_error_count integer,
  avg_availability_percentage numeric,
  avg_throughput_per_minute numeric,
  avg_cpu_usage_percent numeric,
  avg_memory_usage_percent numeric
)
language sql stable
as $$
  select
    e.organization_id,
    e.component_type,
    e.component_name,
    (array_agg(e.status order by e.event_time desc, e.id desc))[1],
    max(e.event_time),
    count(*)::integer,
    (count(*) filter (where e.status in ('unhealthy', 'critical')))::integer,
    round(avg(e.latency_ms), 2),
    max(e.latency_p95_ms),
    round(avg(e.error_rate), 2),
    sum(e.error_count)::integer,
    round(avg(e.availability_percentage), 2),
    round(avg(e.throughput_per_minute), 2),
    round(avg(e.cpu_usage_percent), 2),
    round(avg(e.memory_usage_percent), 2)
  from system_health_events e
  where e.event_time between p_since and p_until
    and (p_component_type is null or e.component_type = p_component_type)
    and (p_organization_id is null or e.organization_id = p_organization_id)
  group by e.organization_id, e.component_type, e.component_name
  order by core314.status_rank((array_agg(e.status order by e.event_time desc, e.id desc))[1]) desc,
    e.component_name, e.organization_id nulls first
$$;

drop function get_unhealthy_components(timestamptz, uuid, text);
create function get_unhealthy_components(
  p_since timestamptz default now() - interval '1 hour',
  p_organization_id uuid default null,
  p_environment text default null
) returns table (
  organization_id uuid,
  component_type text,
  component_name text,
  environment text,
  status text,
  last_event_at timestamptz,
  unhealthy_event_count integer,
  latency_ms numeric,
  latency_p95_ms numeric,
  error_rate numeric,
  availability_percentage numeric,
  last_error_message text
)
language sql stable
as $$
  with candidates as (
    select e.organization_id, e.component_type, e.component_name, count(*)::integer as unhealthy_event_count
    from system_health_events e
    where e.status <> 'healthy'
      and e.event_time >= p_since
      and (p_organization_id is null or e.organization_id = p_organization_id)
      and (p_environment is null or e.environment = p_environment)
    group by e.organization_id, e.component_type, e.component_name
  )
  select c.organization_id, c.component_type, c.component_name, latest.environment, latest.status, latest.event_time,
    c.unhealthy_event_count, latest.latency_ms, latest.latency_p95_ms, latest.error_rate,
    latest.availability_percentage, latest.last_error_message
  from candidates c
  cross join lateral (
    select e.environment, e.status, e.event_time, e.latency_ms, e.latency_p95_ms, e.error_rate,
      e.availability_percentage, e.last_error_message
    from system_health_events e
    -- The component's key (0060's index): its organization's key and its name.
    where core314.organization_key(e.organization_id) = core314.organization_key(c.organization_id)
      and e.component_name = c.component_name
      and e.component_type = c.component_type
      and e.event_time >= p_since
      and (p_environment is null or e.environment = p_environment)
    order by e.event_time desc, e.id desc
    limit 1
  ) latest
  where latest.status <> 'healthy'
  order by core314.status_rank(latest.status) desc, c.component_name, c.organization_id nulls first
$$;

drop function get_performance_trends(text, timestamptz, timestamptz, interval, uuid);
create function get_performance_trends(
  p_component_name text default null,
  p_since timestamptz default now() - interval '24 hours',
  p_until timestamptz default now(),
  p_bucket interval default interval '1 hour',
  p_organization_id uuid default null
) returns table (
  bucket_start timestamptz,
  organization_id uuid,
  component_name text,
  event_count integer,
  avg_latency_ms numeric,
  avg_latency_p95_ms numeric,
  max_latency_p99_ms numeric,
  avg_error_rate numeric,
  total_error_count integer,
  avg_availability_percentage numeric,
  avg_throughput_per_minute numeric,
  avg_cpu_usage_percent numeric,
  avg_memory_usage_percent numeric
)
language sql stable
as $$
  select
    date_bin(p_bucket, e.event_time, timestamptz '2000-01-01 00:00:00+00'),
    e.organization_id,
    e.component_name,
    count(*)::integer,
    round(avg(e.latency_ms), 2),
    round(avg(e.latency_p95_ms), 2),
    max(e.latency_p99_ms),
    round(avg(e.error_rate), 2),
    sum(e.error_count)::integer,
    round(avg(e.availability_percentage), 2),
    round(avg(e.throughput_per_minute), 2),
    round(avg(e.cpu_usage_percent), 2),
    round(avg(e.memory_usage_percent), 2)
  from system_health_events e
  where core314.check_bucket(p_since, p_until, p_bucket)
    and e.event_time between p_since and p_until
    and (p_component_name is null or e.component_name = p_component_name)
    and (p_organization_id is null or e.organization_id = p_organization_id)
  group by 1, 2, 3
  order by 3, 2 nulls first, 1
$$;

-- Components weigh equally, each organization's its own.
create or replace function calculate_system_availability(
  p_since timestamptz default now() - interval '24 hours',
  p_until timestamptz default now(),
  p_component_name text default null,
  p_organization_id uuid default null,
  p_target_percentage numeric default 99.95
) returns table (
  availability_percentage numeric,
  target_percentage numeric,
  meets_target boolean,
  component_count integer,
  event_count integer,
  healthy_count integer,
  degraded_count integer,
  unhealthy_count integer,
  critical_count integer,
  unknown_count integer,
  period_start timestamptz,
  period_end timestamptz
)
language sql stable
as $$
  with per_component as (
    select
      avg(coalesce(e.availability_percentage,
        case when e.status in ('healthy', 'degraded') then 100 when e.status in ('unhealthy', 'critical') then 0 end)) as availability,
      count(*) as events,
      count(*) filter (where e.status = 'healthy') as healthy,
      count(*) filter (where e.status = 'degraded') as degraded,
      count(*) filter (where e.status = 'unhealthy') as unhealthy,
      count(*) filter (where e.status = 'critical') as critical,
      count(*) filter (where e.status = 'unknown') as unknown
    from system_health_events e
    where e.event_time between p_since and p_until
      and (p_component_name is null or e.component_name = p_component_name)
      and (p_organization_id is null or e.organization_id = p_organization_id)
    group by e.organization_id, e.component_type, e.component_name
  )
  select
    round(avg(availability), 4),
    p_target_percentage,
    round(avg(availability), 4) >= p_target_percentage,
    count(availability)::integer,
    coalesce(sum(events), 0)::integer,
    coalesce(sum(healthy), 0)::integer,
    coalesce(sum(degraded), 0)::integer,
    coalesce(sum(unhealthy), 0)::integer,
    coalesce(sum(critical), 0)::integer,
    coalesce(sum(unknown), 0)::integer,
    p_since,
    p_until
  from per_component
$$;
