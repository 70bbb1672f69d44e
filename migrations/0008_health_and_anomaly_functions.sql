-- The seed's helper functions for health events and anomaly signals. All are SECURITY
-- INVOKER (the default), so the caller's row-level security applies inside them: a user's
-- summary covers the user's rows, an admin's or the service role's covers all. Time windows
-- are [p_since, p_until]; a null filter means all. Counts are integers and measures numeric
-- (rounded to 2 places) so they reach JSON as numbers.
--
-- SQLSTATEs raised: C3404 when the row named is not visible to the caller (the API's 404),
-- C3409 for a status change the lifecycle forbids (409), 22023 for a bad parameter (400).

-- Worst first: critical 4, unhealthy 3, degraded 2, unknown 1, healthy 0.
create function core314.status_rank(p_status text) returns integer
language sql immutable
as $$
  select case p_status when 'critical' then 4 when 'unhealthy' then 3 when 'degraded' then 2
    when 'unknown' then 1 when 'healthy' then 0 end
$$;

-- critical 4, high 3, medium 2, low 1; null for anything else.
create function core314.severity_rank(p_severity text) returns integer
language sql immutable
as $$
  select case p_severity when 'critical' then 4 when 'high' then 3 when 'medium' then 2 when 'low' then 1 end
$$;

-- Per component in the window: its latest status and the window's aggregates, worst first.
create function get_system_health_summary(
  p_since timestamptz default now() - interval '1 hour',
  p_until timestamptz default now(),
  p_component_type text default null,
  p_organization_id uuid default null
) returns table (
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
    e.component_type,
    e.component_name,
    (array_agg(e.status order by e.created_at desc, e.id desc))[1],
    max(e.created_at),
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
  where e.created_at between p_since and p_until
    and (p_component_type is null or e.component_type = p_component_type)
    and (p_organization_id is null or e.organization_id = p_organization_id)
  group by e.component_type, e.component_name
  order by core314.status_rank((array_agg(e.status order by e.created_at desc, e.id desc))[1]) desc, e.component_name
$$;

-- Components whose latest event in the window is not healthy (degraded, unhealthy, critical
-- or unknown), worst first. Only components with some non-healthy event in the window can
-- qualify, so it starts from those (a small partial index) and reads each one's latest event.
create function get_unhealthy_components(
  p_since timestamptz default now() - interval '1 hour',
  p_organization_id uuid default null,
  p_environment text default null
) returns table (
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
    select e.component_type, e.component_name, count(*)::integer as unhealthy_event_count
    from system_health_events e
    where e.status <> 'healthy'
      and e.created_at >= p_since
      and (p_organization_id is null or e.organization_id = p_organization_id)
      and (p_environment is null or e.environment = p_environment)
    group by e.component_type, e.component_name
  )
  select c.component_type, c.component_name, latest.environment, latest.status, latest.created_at,
    c.unhealthy_event_count, latest.latency_ms, latest.latency_p95_ms, latest.error_rate,
    latest.availability_percentage, latest.last_error_message
  from candidates c
  cross join lateral (
    select e.environment, e.status, e.created_at, e.latency_ms, e.latency_p95_ms, e.error_rate,
      e.availability_percentage, e.last_error_message
    from system_health_events e
    where e.component_name = c.component_name
      and e.component_type = c.component_type
      and e.created_at >= p_since
      and (p_organization_id is null or e.organization_id = p_organization_id)
      and (p_environment is null or e.environment = p_environment)
    order by e.created_at desc, e.id desc
    limit 1
  ) latest
  where latest.status <> 'healthy'
  order by core314.status_rank(latest.status) desc, c.component_name
$$;

-- True for a bucket width that is positive, under a month (date_bin cannot bin by months)
-- and cuts [p_since, p_until] into at most 10,000 buckets; otherwise raises 22023. The trend
-- functions call it in their WHERE clause, where it is evaluated once.
create function core314.check_bucket(p_since timestamptz, p_until timestamptz, p_bucket interval) returns boolean
language plpgsql immutable
as $$
begin
  if p_bucket is null or p_bucket <= interval '0' or date_part('month', p_bucket) <> 0 or date_part('year', p_bucket) <> 0
     or extract(epoch from p_until - p_since) / extract(epoch from p_bucket) > 10000 then
    raise exception using errcode = '22023',
      message = format('bucket %s must be positive, under a month, and give at most 10000 buckets between %s and %s', p_bucket, p_since, p_until);
  end if;
  return true;
end
$$;

-- Time series per component in buckets of p_bucket, aligned to UTC midnight.
create function get_performance_trends(
  p_component_name text default null,
  p_since timestamptz default now() - interval '24 hours',
  p_until timestamptz default now(),
  p_bucket interval default interval '1 hour',
  p_organization_id uuid default null
) returns table (
  bucket_start timestamptz,
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
    date_bin(p_bucket, e.created_at, timestamptz '2000-01-01 00:00:00+00'),
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
    and e.created_at between p_since and p_until
    and (p_component_name is null or e.component_name = p_component_name)
    and (p_organization_id is null or e.organization_id = p_organization_id)
  group by 1, 2
  order by 2, 1
$$;

-- The system's availability over the window: each event counts as its
-- availability_percentage, or, without one, as 100 when healthy or degraded and 0 when
-- unhealthy or critical (unknown counts for neither). Components weigh equally, so a
-- chatty component cannot hide a silent one's outage. meets_target compares with the
-- seed's 99.95 % unless told otherwise; it is null when nothing was measured.
create function calculate_system_availability(
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
    where e.created_at between p_since and p_until
      and (p_component_name is null or e.component_name = p_component_name)
      and (p_organization_id is null or e.organization_id = p_organization_id)
    group by e.component_type, e.component_name
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

-- Open, acknowledged and investigating signals at or above p_min_severity, most severe and
-- most recent first.
create function get_active_anomalies(
  p_min_severity text default 'low',
  p_component_name text default null,
  p_organization_id uuid default null,
  p_limit integer default 100
) returns setof anomaly_signals
language sql stable
as $$
  select a.*
  from anomaly_signals a
  where a.status in ('open', 'acknowledged', 'investigating')
    and core314.severity_rank(a.severity) >= core314.severity_rank(p_min_severity)
    and (p_component_name is null or a.source_component_name = p_component_name)
    and (p_organization_id is null or a.organization_id = p_organization_id)
  order by core314.severity_rank(a.severity) desc, a.detection_timestamp desc, a.id
  limit p_limit
$$;

-- Counts by status, severity and type of the signals detected in the window, with mean
-- confidence, mean time to resolve, and the share of closed signals that were false
-- positives (percent).
create function get_anomaly_statistics(
  p_since timestamptz default now() - interval '24 hours',
  p_until timestamptz default now(),
  p_component_name text default null,
  p_organization_id uuid default null
) returns table (
  total_count integer,
  active_count integer,
  open_count integer,
  acknowledged_count integer,
  investigating_count integer,
  resolved_count integer,
  false_positive_count integer,
  critical_count integer,
  high_count integer,
  medium_count integer,
  low_count integer,
  avg_confidence_score numeric,
  avg_resolution_duration_minutes numeric,
  false_positive_rate numeric,
  by_type jsonb
)
language sql stable
as $$
  with window_signals as (
    select a.status, a.severity, a.anomaly_type, a.confidence_score, a.resolution_duration_minutes
    from anomaly_signals a
    where a.detection_timestamp between p_since and p_until
      and (p_component_name is null or a.source_component_name = p_component_name)
      and (p_organization_id is null or a.organization_id = p_organization_id)
  )
  select
    count(*)::integer,
    (count(*) filter (where status in ('open', 'acknowledged', 'investigating')))::integer,
    (count(*) filter (where status = 'open'))::integer,
    (count(*) filter (where status = 'acknowledged'))::integer,
    (count(*) filter (where status = 'investigating'))::integer,
    (count(*) filter (where status = 'resolved'))::integer,
    (count(*) filter (where status = 'false_positive'))::integer,
    (count(*) filter (where severity = 'critical'))::integer,
    (count(*) filter (where severity = 'high'))::integer,
    (count(*) filter (where severity = 'medium'))::integer,
    (count(*) filter (where severity = 'low'))::integer,
    round(avg(confidence_score), 4),
    round(avg(resolution_duration_minutes), 2),
    round(100.0 * count(*) filter (where status = 'false_positive')
      / nullif(count(*) filter (where status in ('resolved', 'false_positive')), 0), 2),
    coalesce((select jsonb_object_agg(t.anomaly_type, t.n)
              from (select anomaly_type, count(*)::integer as n from window_signals group by anomaly_type) t), '{}')
  from window_signals
$$;

-- Signals related to p_anomaly_id: those it links through related_anomaly_ids and those
-- linking to it from within a day of its active period ('linked'), and those on other
-- components of the same organization detected while it was active, give or take p_window
-- ('time_overlap'). Linked first, then nearest in time. C3404 when the signal is not
-- visible to the caller.
create function find_correlated_anomalies(
  p_anomaly_id uuid,
  p_window interval default interval '15 minutes',
  p_limit integer default 50
) returns table (
  id uuid,
  anomaly_type text,
  severity text,
  status text,
  source_component_name text,
  detection_timestamp timestamptz,
  correlation_reason text,
  time_offset_seconds numeric
)
language plpgsql stable
as $$
declare
  target anomaly_signals;
begin
  select * into target from anomaly_signals a where a.id = p_anomaly_id;
  if not found then
    raise exception using errcode = 'C3404', message = format('anomaly %s not found', p_anomaly_id);
  end if;
  return query
  with candidates as (
    select a.id, a.anomaly_type, a.severity, a.status, a.source_component_name, a.detection_timestamp, 'linked' as reason
    from anomaly_signals a
    where a.id = any (target.related_anomaly_ids)
    union all
    -- Links to it are looked for near it in time: array containment is not leakproof, so
    -- under row-level security no index can serve it, and the detector links signals that
    -- overlap in time anyway.
    select a.id, a.anomaly_type, a.severity, a.status, a.source_component_name, a.detection_timestamp, 'linked'
    from anomaly_signals a
    where a.detection_timestamp between target.detection_timestamp - interval '1 day'
        and coalesce(target.resolved_at, target.last_observed_at, target.detection_timestamp) + interval '1 day'
      and a.related_anomaly_ids @> array[target.id]
    union all
    select a.id, a.anomaly_type, a.severity, a.status, a.source_component_name, a.detection_timestamp, 'time_overlap'
    from anomaly_signals a
    where a.detection_timestamp between target.detection_timestamp - p_window
        and coalesce(target.resolved_at, target.last_observed_at, target.detection_timestamp) + p_window
      and a.source_component_name is distinct from target.source_component_name
      and a.organization_id is not distinct from target.organization_id
  ), best as (
    select distinct on (c.id) c.*
    from candidates c
    where c.id <> target.id
    order by c.id, c.reason = 'linked' desc
  )
  select b.id, b.anomaly_type, b.severity, b.status, b.source_component_name, b.detection_timestamp, b.reason,
    round(extract(epoch from b.detection_timestamp - target.detection_timestamp)::numeric, 3)
  from best b
  order by b.reason = 'linked' desc, abs(extract(epoch from b.detection_timestamp - target.detection_timestamp)), b.id
  limit p_limit;
end
$$;

-- Moves a signal through its lifecycle and returns it. The lifecycle trigger refuses
-- disallowed moves (C3409) and records acknowledged_by/at, resolved_by/at and
-- resolution_duration_minutes; p_notes, when given, becomes resolution_notes. Setting the
-- status it already has changes nothing else (an idempotent repeat). 22023 for an unknown
-- status, C3404 when the signal is not visible to the caller.
create function update_anomaly_status(p_anomaly_id uuid, p_status text, p_notes text default null)
returns anomaly_signals
language plpgsql
as $$
declare
  result anomaly_signals;
begin
  if p_status is null or p_status not in ('open', 'acknowledged', 'investigating', 'resolved', 'false_positive') then
    raise exception using errcode = '22023', message = format('unknown anomaly status %L', p_status);
  end if;
  update anomaly_signals a
  set status = p_status, resolution_notes = coalesce(p_notes, a.resolution_notes)
  where a.id = p_anomaly_id
  returning a.* into result;
  if not found then
    raise exception using errcode = 'C3404', message = format('anomaly %s not found', p_anomaly_id);
  end if;
  return result;
end
$$;
