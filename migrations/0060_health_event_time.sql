-- Event time (issue 15): a health event's time is when it was measured, the end of its
-- measurement window when it has one, else when it arrived. Detection, rollups, trends,
-- verification and the listing read event_time; created_at keeps saying when the row arrived.
--
-- A stored generated column rather than a value the writers compute: every insert path (the
-- single-statement core314.insert_health_event_as of 0044, the batch INSERT, the monitor, a
-- direct INSERT) gets it without naming it, an UPDATE of the window keeps it right, and adding
-- it computes it for the rows already stored.
--
-- The table stays partitioned by created_at: a partition key must be part of every unique index
-- and cannot be a generated column, and arrival time is what retention wants anyway. Event time
-- lies within the lateness bound of arrival (the API refuses the rest), so a component's window
-- by event time is an index range per partition: (organization, component_name, event_time) within the few
-- monthly partitions, measured by bench:detect, bench:detect-history and bench:db.
alter table system_health_events
  add column event_time timestamptz not null generated always as (coalesce(measurement_window_end, created_at)) stored;

-- The listing's keyset, the detector's read of every component over a window, and the helper
-- functions' windows: newest first by event time.
create index system_health_events_event_time_idx on system_health_events (event_time desc, id desc);
-- One organization's component's window and history (0045's key; detector replay, verification,
-- latency baselines, breaker probes, error text).
drop index system_health_events_component_key_idx;
create index system_health_events_component_key_idx
  on system_health_events (core314.organization_key(organization_id), component_name, event_time desc, id desc);
-- Lists filtered by component name, newest first by event time.
create index system_health_events_component_idx on system_health_events (component_name, event_time desc, id desc);
drop index system_health_events_user_idx;
create index system_health_events_user_idx on system_health_events (user_id, event_time desc, id desc) where user_id is not null;
drop index system_health_events_organization_idx;
create index system_health_events_organization_idx on system_health_events (organization_id, event_time desc) where organization_id is not null;
drop index system_health_events_not_healthy_idx;
create index system_health_events_not_healthy_idx on system_health_events (event_time desc, id desc) where status <> 'healthy';
-- system_health_events_created_at_idx stays: the rollup finds late arrivals by arrival time.

-- New monthly partitions copy the generated column as generated (a partition's column must be
-- generated where its parent's is), and the rows moved out of the default partition name their
-- columns, since a generated column cannot be written.
create or replace function core314.create_health_event_partitions(
  p_from timestamptz default now(),
  p_through timestamptz default now() + interval '3 months'
) returns integer
language plpgsql
as $$
declare
  parent_schema text := (select relnamespace::regnamespace::text from pg_class where oid = 'system_health_events'::regclass);
  stored_columns text := (select string_agg(quote_ident(attname), ', ' order by attnum) from pg_attribute
    where attrelid = 'system_health_events'::regclass and attnum > 0 and not attisdropped and attgenerated = '');
  month_start timestamp := date_trunc('month', p_from at time zone 'UTC');
  last_month timestamp := date_trunc('month', p_through at time zone 'UTC');
  partition_name text;
  lower_bound timestamptz;
  upper_bound timestamptz;
  created integer := 0;
begin
  while month_start <= last_month loop
    partition_name := 'system_health_events_' || to_char(month_start, 'YYYY_MM');
    lower_bound := month_start at time zone 'UTC';
    upper_bound := (month_start + interval '1 month') at time zone 'UTC';
    if to_regclass(format('%I.%I', parent_schema, partition_name)) is null then
      execute format('create table %I.%I (like %I.system_health_events including defaults including constraints including generated)',
        parent_schema, partition_name, parent_schema);
      -- Inserts into the default partition wait while its rows for this month move, so
      -- none arrives between the move and the attach.
      execute format('lock table %I.system_health_events_default in share row exclusive mode', parent_schema);
      execute format(
        'with moved as (delete from %1$I.system_health_events_default where created_at >= %3$L and created_at < %4$L returning *)
         insert into %1$I.%2$I (%5$s) select %5$s from moved',
        parent_schema, partition_name, lower_bound, upper_bound, stored_columns);
      execute format('alter table %I.%I enable row level security', parent_schema, partition_name);
      execute format('alter table %I.system_health_events attach partition %I.%I for values from (%L) to (%L)',
        parent_schema, parent_schema, partition_name, lower_bound, upper_bound);
      created := created + 1;
    end if;
    month_start := month_start + interval '1 month';
  end loop;
  return created;
end
$$;

revoke execute on function core314.create_health_event_partitions(timestamptz, timestamptz) from public;
