-- One health event stored as its caller in a single statement: the hot path of POST
-- /v1/health-events, which as a transaction costs BEGIN, the caller's settings, the INSERT
-- and COMMIT: four statements and more than one round trip. Called outside a transaction
-- block, this is one statement in its own transaction, committed when the call returns.
--
-- Why the identity is in force when row-level security checks the row: PL/pgSQL runs its
-- statements in order and plans each one when it first runs it, so the INSERT below is
-- rewritten (its policies chosen for the current role), permission-checked and executed only
-- after both set_config calls have run; a cached plan made under another role is discarded
-- and made again (plancache.c re-checks the role a plan's row security was decided for). The
-- settings are transaction-local, so they end with this statement's transaction, committed
-- or not, and the pooled connection goes back to the login role with no claims.
--
-- The columns are the writable ones of HealthEventInput (src/schemas/health-events.ts); a
-- test posts every one of them and reads each back, so one missing here fails it. Keys the
-- event lacks are stored as NULL, as the multi-row INSERT does with omitted fields.
create function core314.insert_health_event_as(caller_role text, caller_claims text, event jsonb)
returns setof system_health_events
language plpgsql volatile
as $$
begin
  if caller_role is null or caller_role not in ('authenticated', 'service_role') then
    raise exception 'insert_health_event_as: unknown caller role %', caller_role using errcode = '42501';
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
    from jsonb_populate_record(null::system_health_events, event)
    returning *;
end
$$;

-- Only the login role calls it; the API roles never switch identity themselves.
revoke execute on function core314.insert_health_event_as(text, text, jsonb) from public;
