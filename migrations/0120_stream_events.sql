-- The live event stream (GET /v1/stream): every change to a row the console shows is recorded
-- here with an increasing id and announced on the core314_stream channel, so every instance's
-- open streams hear a change made through any instance, and a client that reconnects resumes
-- after the last id it saw (Last-Event-ID). Rows carry only what changed (topic, row id, op):
-- each stream re-reads visibility as its caller, so nothing here is ever sent unfiltered.
create table stream_events (
  id bigint generated always as identity primary key,
  topic text not null check (topic in ('anomaly', 'recovery_action', 'selftest', 'escalation', 'healing_mode')),
  row_id uuid,
  op text not null check (op in ('insert', 'update', 'delete')),
  created_at timestamptz not null default now()
);
create index stream_events_created_at on stream_events (created_at);

-- Only the service itself (the login role that owns the tables) reads and prunes the log.
revoke all on stream_events from public, authenticated, service_role;
alter table stream_events enable row level security;

-- Security definer: the writers are callers under row-level security, who may not touch the log.
create function core314.record_stream_event() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  event_id bigint;
  changed uuid;
begin
  changed := case when tg_argv[0] = 'healing_mode' then null when tg_op = 'DELETE' then old.id else new.id end;
  insert into stream_events (topic, row_id, op) values (tg_argv[0], changed, lower(tg_op))
    returning id into event_id;
  perform pg_notify('core314_stream', json_build_object('id', event_id, 'topic', tg_argv[0], 'row_id', changed, 'op', lower(tg_op))::text);
  return null;
end
$$;
revoke all on function core314.record_stream_event() from public;

create trigger stream_event after insert or update on anomaly_signals
  for each row execute function core314.record_stream_event('anomaly');
create trigger stream_event after insert or update on recovery_actions
  for each row execute function core314.record_stream_event('recovery_action');
create trigger stream_event after insert on selftest_results
  for each row execute function core314.record_stream_event('selftest');
create trigger stream_event after insert or update on escalation_events
  for each row execute function core314.record_stream_event('escalation');
create trigger stream_event after update on self_healing_settings
  for each row execute function core314.record_stream_event('healing_mode');
