-- Idempotency-Key records for creating POSTs: the first response is stored with a fingerprint
-- of the request, so a retry with the same key and body replays it without a second row, and
-- the same key with another body is refused. Keys belong to the caller who sent them and
-- expire after 24 hours (expired ones are replaced on reuse and purged by the service).
create table idempotency_keys (
  caller_key text not null,
  idempotency_key text not null,
  request_fingerprint text not null,
  status_code integer,
  response_body jsonb,
  created_at timestamptz not null default now(),
  primary key (caller_key, idempotency_key),
  check (length(idempotency_key) between 1 and 255)
);

create index idempotency_keys_created_at_idx on idempotency_keys (created_at);

-- Who owns a key: the user's id, or the service role. Derived from the claims in SQL so a
-- caller cannot read or overwrite another caller's keys by naming them.
create function core314.idempotency_caller_key() returns text
language sql stable
as $$ select coalesce(core314.current_user_id()::text, case when core314.is_service_role() then 'service_role' end) $$;

alter table idempotency_keys enable row level security;
alter table idempotency_keys force row level security;

create policy idempotency_keys_own on idempotency_keys
  for all to authenticated, service_role
  using (caller_key = (select core314.idempotency_caller_key()))
  with check (caller_key = (select core314.idempotency_caller_key()));

revoke all on idempotency_keys from public;
grant select, insert, update, delete on idempotency_keys to authenticated, service_role;
