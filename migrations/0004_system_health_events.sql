-- system_health_events (seed 1.1): one row per component per measurement window, pushed by
-- Core314 services or written by the monitor. It is the one high-volume, append-mostly
-- table, so it is partitioned by month on created_at: time-window queries touch one or two
-- partitions, indexes stay the size of a month, and retention drops whole months instead
-- of deleting rows. The price is that the primary key must include created_at, so
-- (id, created_at) is the key and recovery_actions refers to an event by id without a
-- foreign key (checked on write instead, see 0006). A default partition takes rows outside
-- the months created so far (backfills, far-future clocks), so no insert ever fails for
-- want of a partition.

create table system_health_events (
  id uuid not null default gen_random_uuid(),
  user_id uuid,
  organization_id uuid,

  component_type text not null check (length(component_type) between 1 and 100),
  component_name text not null check (length(component_name) between 1 and 200),
  component_version text,
  environment text not null default 'production' check (length(environment) between 1 and 50),

  status text not null check (status in ('healthy', 'degraded', 'unhealthy', 'critical', 'unknown')),

  uptime_percentage numeric check (uptime_percentage between 0 and 100),
  availability_percentage numeric check (availability_percentage between 0 and 100),
  latency_ms numeric check (latency_ms >= 0),
  latency_p50_ms numeric check (latency_p50_ms >= 0),
  latency_p95_ms numeric check (latency_p95_ms >= 0),
  latency_p99_ms numeric check (latency_p99_ms >= 0),
  throughput_per_minute numeric check (throughput_per_minute >= 0),

  error_count integer check (error_count >= 0),
  error_rate numeric check (error_rate between 0 and 100),
  error_types jsonb not null default '{}' check (jsonb_typeof(error_types) = 'object'),
  last_error_message text,
  last_error_timestamp timestamptz,

  cpu_usage_percent numeric check (cpu_usage_percent between 0 and 100),
  memory_usage_mb numeric check (memory_usage_mb >= 0),
  memory_usage_percent numeric check (memory_usage_percent between 0 and 100),
  disk_usage_mb numeric check (disk_usage_mb >= 0),
  disk_usage_percent numeric check (disk_usage_percent between 0 and 100),
  network_in_mbps numeric check (network_in_mbps >= 0),
  network_out_mbps numeric check (network_out_mbps >= 0),

  db_connection_count integer check (db_connection_count >= 0),
  db_query_count bigint check (db_query_count >= 0),
  db_slow_query_count integer check (db_slow_query_count >= 0),
  db_deadlock_count integer check (db_deadlock_count >= 0),
  db_cache_hit_rate numeric check (db_cache_hit_rate between 0 and 100),

  integration_name text,
  integration_success_rate numeric check (integration_success_rate between 0 and 100),
  integration_retry_count integer check (integration_retry_count >= 0),
  integration_timeout_count integer check (integration_timeout_count >= 0),

  measurement_window_start timestamptz,
  measurement_window_end timestamptz,
  measurement_window_seconds integer check (measurement_window_seconds >= 0),

  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  tags text[] not null default '{}',

  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  primary key (id, created_at),
  constraint system_health_events_window_order check (measurement_window_end >= measurement_window_start),
  constraint system_health_events_latency_order check (latency_p50_ms <= latency_p95_ms and latency_p95_ms <= latency_p99_ms)
) partition by range (created_at);

create table system_health_events_default partition of system_health_events default;

-- Partitions are reached through the parent, whose policies apply. They are granted to no
-- API role; row security is enabled on them (denying any direct access) but not forced, so
-- the owner's maintenance below can move and delete their rows directly.
alter table system_health_events enable row level security, force row level security;
alter table system_health_events_default enable row level security;

-- Monthly partitions [month, month + 1) in UTC, from p_from's month through p_through's,
-- returning how many it created. Rows already in the default partition for a new month
-- move into it (attaching over them would fail). Run by the table owner: the migration
-- creates the months around now, and a scheduled job should keep three months ahead.
create function core314.create_health_event_partitions(
  p_from timestamptz default now(),
  p_through timestamptz default now() + interval '3 months'
) returns integer
language plpgsql
as $$
declare
  parent_schema text := (select relnamespace::regnamespace::text from pg_class where oid = 'system_health_events'::regclass);
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
      execute format('create table %I.%I (like %I.system_health_events including defaults including constraints)',
        parent_schema, partition_name, parent_schema);
      -- Inserts into the default partition wait while its rows for this month move, so
      -- none arrives between the move and the attach.
      execute format('lock table %I.system_health_events_default in share row exclusive mode', parent_schema);
      execute format(
        'with moved as (delete from %1$I.system_health_events_default where created_at >= %3$L and created_at < %4$L returning *)
         insert into %1$I.%2$I select * from moved',
        parent_schema, partition_name, lower_bound, upper_bound);
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

-- Retention: detaches and drops every monthly partition wholly before p_before, deletes the
-- default partition's rows before it, and returns how many partitions it dropped.
create function core314.drop_health_event_partitions(p_before timestamptz) returns integer
language plpgsql
as $$
declare
  parent_schema text := (select relnamespace::regnamespace::text from pg_class where oid = 'system_health_events'::regclass);
  part record;
  dropped integer := 0;
begin
  for part in
    select child.relname,
      substring(pg_get_expr(child.relpartbound, child.oid) from 'TO \(''([^'']+)''\)')::timestamptz as upper_bound
    from pg_inherits
    join pg_class child on child.oid = pg_inherits.inhrelid
    where pg_inherits.inhparent = 'system_health_events'::regclass
      and pg_get_expr(child.relpartbound, child.oid) <> 'DEFAULT'
  loop
    if part.upper_bound <= p_before then
      execute format('alter table %I.system_health_events detach partition %I.%I', parent_schema, parent_schema, part.relname);
      execute format('drop table %I.%I', parent_schema, part.relname);
      dropped := dropped + 1;
    end if;
  end loop;
  execute format('delete from %I.system_health_events_default where created_at < %L', parent_schema, p_before);
  return dropped;
end
$$;

revoke execute on function core314.create_health_event_partitions(timestamptz, timestamptz) from public;
revoke execute on function core314.drop_health_event_partitions(timestamptz) from public;

create trigger set_updated_at before update on system_health_events
  for each row execute function core314.set_updated_at();

-- Query paths: keyset lists newest first (all rows; a user's own rows; one component),
-- helper functions over a time window (all; one organization), and the components not
-- healthy (the unhealthy list and status filters, a small fraction of rows).
create index system_health_events_created_at_idx on system_health_events (created_at desc, id desc);
create index system_health_events_component_idx on system_health_events (component_name, created_at desc, id desc);
create index system_health_events_user_idx on system_health_events (user_id, created_at desc, id desc) where user_id is not null;
create index system_health_events_organization_idx on system_health_events (organization_id, created_at desc) where organization_id is not null;
create index system_health_events_not_healthy_idx on system_health_events (created_at desc, id desc) where status <> 'healthy';

revoke all on system_health_events from public, authenticated, service_role;
grant select on system_health_events to authenticated;
grant select, insert, update on system_health_events to service_role;

create policy "users read own rows" on system_health_events for select to authenticated
  using (user_id = (select core314.current_user_id()));
create policy "admins read all rows" on system_health_events for select to authenticated
  using ((select core314.is_admin()));
create policy "service role reads all rows" on system_health_events for select to service_role
  using ((select core314.is_service_role()));
create policy "service role inserts" on system_health_events for insert to service_role
  with check ((select core314.is_service_role()));
create policy "service role updates" on system_health_events for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));

-- The previous month (recent backfills), this month and two ahead.
select core314.create_health_event_partitions(now() - interval '1 month', now() + interval '2 months');
