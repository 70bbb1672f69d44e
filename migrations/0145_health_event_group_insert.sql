-- Several single health events of one caller stored as that caller in one statement: the group
-- commit of POST /v1/health-events (src/services/health-event-groups.ts). Concurrent single
-- POSTs with the same identity that arrive together are written by one call, so they share
-- one transaction, one commit and one WAL flush instead of one each. Called outside a
-- transaction block, this is one statement in its own transaction: every event is stored, or
-- on any error none is, and the caller then sends each event alone with
-- core314.insert_health_event_as to give each its own answer.
--
-- The identity is set exactly as core314.insert_health_event_as (0044) sets it, and for the
-- same reason is in force when row-level security checks the rows. The rows come back in the
-- order of the array: the SELECT reads jsonb_populate_recordset's rows in array order and
-- RETURNING follows the order rows are inserted in, as the batch INSERT relies on too.
create function core314.insert_health_events_as(caller_role text, caller_claims text, events jsonb)
returns setof system_health_events
language plpgsql volatile
as $$
begin
  if caller_role is null or caller_role not in ('authenticated', 'service_role') then
    raise exception 'insert_health_events_as: unknown caller role %', caller_role using errcode = '42501';
  end if;
  perform set_config('role', caller_role, true), set_config('request.jwt.claims', caller_claims, true);
  return query
    insert into system_health_events (
      user_id, organization_id, component_type, component_name, component_version, environment, status,
      uptime_percentage, availability_percentage, latency_ms, latency_p50_ms, latency_p95_ms, latency_p99_ms,
      throughput_per_minute, error_count, error_rate, error_types, last_error_message, last_error_timestamp,
      cpu_usage_percent, memory_usage_mb, memory_usage_percent, disk_usage_mb, disk_usage_percent,
      network_in_mbps, network_out_mbps, db_connection_count, db_query_count, db_slow_query_count,
      db_deadlock_count, db_cache_hit_rate, integration_name, integration_success_rate,
      integration_retry_count, integration_timeout_count, measurement_window_start, measurement_window_end,
      measurement_window_seconds, metadata, tags)
    select
      user_id, organization_id, component_type, component_name, component_version, environment, status,
      uptime_percentage, availability_percentage, latency_ms, latency_p50_ms, latency_p95_ms, latency_p99_ms,
      throughput_per_minute, error_count, error_rate, error_types, last_error_message, last_error_timestamp,
      cpu_usage_percent, memory_usage_mb, memory_usage_percent, disk_usage_mb, disk_usage_percent,
      network_in_mbps, network_out_mbps, db_connection_count, db_query_count, db_slow_query_count,
      db_deadlock_count, db_cache_hit_rate, integration_name, integration_success_rate,
      integration_retry_count, integration_timeout_count, measurement_window_start, measurement_window_end,
      measurement_window_seconds, metadata, tags
    from jsonb_populate_recordset(null::system_health_events, events)
    returning *;
end
$$;

-- Only the login role calls it; the API roles never switch identity themselves.
revoke execute on function core314.insert_health_events_as(text, text, jsonb) from public;

-- One event is a group of one: the column list stays in one place. A SQL function that only
-- calls another changes nothing of 0044's guarantees: the identity is still set, and the
-- INSERT planned, inside the call above. The grant stays as 0044 left it (replacing a
-- function keeps its privileges).
create or replace function core314.insert_health_event_as(caller_role text, caller_claims text, event jsonb)
returns setof system_health_events
language sql volatile
as $$
  select * from core314.insert_health_events_as(caller_role, caller_claims, jsonb_build_array(event))
$$;
