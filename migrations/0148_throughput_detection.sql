-- Traffic, the golden signal the detector did not watch: throughput_per_minute joins the metrics
-- it judges (a drop is a traffic_drop). Its history is rolled up as the others' are (0042), and
-- its scorer state is kept as theirs (0080).
alter table health_event_rollups
  add column throughput_per_minute_count integer not null default 0 check (throughput_per_minute_count >= 0),
  add column throughput_per_minute_quantiles bytea
    check (coalesce(length(throughput_per_minute_quantiles), 168) = 168);

-- The hours already rolled up get their throughput from the events they summarise, so the first
-- runs after this judge traffic against the same history as the other metrics.
update health_event_rollups r
set throughput_per_minute_count = s.count, throughput_per_minute_quantiles = s.quantiles
from (
  select organization_id, component_name, date_bin('1 hour', event_time, timestamptz 'epoch') as bucket_start,
    count(throughput_per_minute)::integer as count,
    core314.pack_quantiles(percentile_cont(array(select g / 20.0 from generate_series(0, 20) g)::float8[])
      within group (order by throughput_per_minute::float8)) as quantiles
  from system_health_events
  where throughput_per_minute is not null
    and event_time >= (select coalesce(min(bucket_start), 'infinity') from health_event_rollups)
  group by 1, 2, 3
) s
where r.organization_id is not distinct from s.organization_id and r.component_name = s.component_name
  and r.bucket_start = s.bucket_start;

alter table detector_states drop constraint detector_states_metric_check;
alter table detector_states add constraint detector_states_metric_check check (metric in (
  'latency_ms', 'error_rate', 'cpu_usage_percent', 'memory_usage_percent', 'disk_usage_percent', 'throughput_per_minute'));
