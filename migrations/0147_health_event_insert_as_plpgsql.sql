-- One health event stored as its caller, as 0145 defined it (a group of one), now in PL/pgSQL.
-- 0145 wrote it as a SQL function that only calls core314.insert_health_events_as. A volatile
-- set-returning SQL function is never inlined, so PostgreSQL parsed and planned its body
-- again on every call: 160-180 µs of backend CPU per event, a fifth to a third of what a single
-- POST costs the database. PL/pgSQL keeps the plan of its statement for the connection's life,
-- which leaves 40-50 µs over calling core314.insert_health_events_as directly. The column list
-- still lives only in 0145, and the guarantees are unchanged: the identity is set, and the
-- INSERT planned, inside that call. Replacing a function keeps its grants (0044's).
create or replace function core314.insert_health_event_as(caller_role text, caller_claims text, event jsonb)
returns setof system_health_events
language plpgsql volatile
as $$
begin
  return query select * from core314.insert_health_events_as(caller_role, caller_claims, jsonb_build_array(event));
end
$$;
