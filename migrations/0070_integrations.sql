-- Integrations (issue 18): organization ingest keys that let Alertmanager and OpenTelemetry
-- exporters push with configuration only, each organization's notification channels, and the
-- outbox their notifications wait in until the channel has taken them. The outbox lives here,
-- in the same database as the signals, so a notification is committed with the change that
-- causes it and survives a channel that answers 429 or 5xx, a restart, or a crash mid-send.

-- An ingest key is shown once and stored as the SHA-256 of its 256 random bits: with that much
-- entropy a fast hash cannot be brute-forced, and every integration request must check one
-- (a slow password hash would cost each OTLP export tens of milliseconds of CPU).
create table ingest_keys (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  name text not null check (length(name) between 1 and 100),
  -- The key's first characters ("c314_AbCdEfGh"), so a list tells keys apart without the secret.
  key_prefix text not null check (length(key_prefix) between 5 and 20),
  key_hash bytea not null unique check (length(key_hash) = 32),
  created_by uuid,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

create index ingest_keys_organization_idx on ingest_keys (organization_id, created_at desc, id desc);

revoke all on ingest_keys from public, authenticated, service_role;
grant select (id, organization_id, name, key_prefix, created_by, created_at, last_used_at, revoked_at) on ingest_keys to authenticated;
grant insert, update (revoked_at) on ingest_keys to authenticated;
grant select, insert, update on ingest_keys to service_role;

alter table ingest_keys enable row level security, force row level security;

create policy "admins read their organization's keys" on ingest_keys for select to authenticated
  using ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "admins create keys for their organization" on ingest_keys for insert to authenticated
  with check ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "admins revoke their organization's keys" on ingest_keys for update to authenticated
  using ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()))
  with check ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "service role reads all" on ingest_keys for select to service_role using ((select core314.is_service_role()));
create policy "service role creates" on ingest_keys for insert to service_role with check ((select core314.is_service_role()));
create policy "service role updates" on ingest_keys for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));

-- A channel's secrets (a Slack webhook URL, a PagerDuty routing key, a webhook signing secret)
-- are one encrypted JSON document, written and never read back through the API.
create table notification_channels (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  name text not null check (length(name) between 1 and 100),
  kind text not null check (kind in ('slack', 'webhook', 'pagerduty')),
  -- Escalations at or above it are sent; lifecycle updates follow the ones that were.
  min_severity text not null default 'low' check (min_severity in ('low', 'medium', 'high', 'critical')),
  enabled boolean not null default true,
  -- Not secret: a generic webhook's URL, or a PagerDuty Events API URL other than the default.
  url text check (url ~ '^https?://'),
  secret_ciphertext text not null,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, name)
);

create index notification_channels_organization_idx on notification_channels (organization_id, created_at desc, id desc);

create trigger set_updated_at before update on notification_channels
  for each row execute function core314.set_updated_at();

revoke all on notification_channels from public, authenticated, service_role;
grant select (id, organization_id, name, kind, min_severity, enabled, url, created_by, created_at, updated_at) on notification_channels to authenticated;
grant insert, update, delete on notification_channels to authenticated;
grant select, insert, update, delete on notification_channels to service_role;

alter table notification_channels enable row level security, force row level security;

create policy "admins read their organization's channels" on notification_channels for select to authenticated
  using ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "admins create channels for their organization" on notification_channels for insert to authenticated
  with check ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "admins change their organization's channels" on notification_channels for update to authenticated
  using ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()))
  with check ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "admins delete their organization's channels" on notification_channels for delete to authenticated
  using ((select core314.is_admin()) and organization_id = (select core314.current_organization_id()));
create policy "service role reads all" on notification_channels for select to service_role using ((select core314.is_service_role()));
create policy "service role creates" on notification_channels for insert to service_role with check ((select core314.is_service_role()));
create policy "service role updates" on notification_channels for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
create policy "service role deletes" on notification_channels for delete to service_role using ((select core314.is_service_role()));

-- One row per notification a channel must receive, in the order they were made. A row without
-- a channel is a signal's lifecycle change (acknowledged, resolved) waiting to be fanned out to
-- the channels that were told about the signal; the dispatcher does that, as the service role,
-- because the caller who changed the signal may not see the channels.
create table notification_outbox (
  id bigint generated always as identity primary key,
  organization_id uuid,
  channel_id uuid references notification_channels (id) on delete cascade,
  event text not null check (event in ('trigger', 'acknowledge', 'resolve')),
  -- What the receiver deduplicates on: the signal's id (PagerDuty's dedup_key), else the escalation's.
  dedup_key text not null check (length(dedup_key) between 1 and 255),
  message jsonb not null default '{}' check (jsonb_typeof(message) = 'object'),
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed', 'skipped')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  -- A dispatcher holds a row until then while it sends; one that dies lets it go.
  claimed_until timestamptz,
  last_status integer,
  last_error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);

-- Each notification at most once per channel, however often its cause repeats.
create unique index notification_outbox_once on notification_outbox (channel_id, dedup_key, event) where channel_id is not null;
-- The dispatcher's claim: pending rows by due time.
create index notification_outbox_due_idx on notification_outbox (next_attempt_at, id) where status = 'pending';
-- Its ordering check (nothing earlier pending for the same channel and key) and the fan-out's
-- lookup of the channels a signal was sent to.
create index notification_outbox_key_idx on notification_outbox (dedup_key, channel_id, id);

revoke all on notification_outbox from public, authenticated, service_role;
grant insert on notification_outbox to authenticated;
grant select, insert, update, delete on notification_outbox to service_role;

alter table notification_outbox enable row level security, force row level security;

-- A user or admin changing a signal's status writes the lifecycle row through the trigger below;
-- that is all they may write, and they read nothing.
create policy "callers record lifecycle changes" on notification_outbox for insert to authenticated
  with check (channel_id is null and status = 'pending' and attempts = 0 and event in ('acknowledge', 'resolve'));
create policy "service role reads all" on notification_outbox for select to service_role using ((select core314.is_service_role()));
create policy "service role writes" on notification_outbox for insert to service_role with check ((select core314.is_service_role()));
create policy "service role updates" on notification_outbox for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
create policy "service role deletes" on notification_outbox for delete to service_role using ((select core314.is_service_role()));

-- A signal's acknowledgement and resolution reach the channels that were told about it, whoever
-- or whatever changed it (the API, the detector, the engine, Alertmanager), in the same
-- transaction as the change.
create function core314.anomaly_signals_notify_channels() returns trigger
language plpgsql
as $$
begin
  insert into notification_outbox (organization_id, event, dedup_key, message)
  values (
    new.organization_id,
    case when new.status in ('resolved', 'false_positive') then 'resolve' else 'acknowledge' end,
    new.id::text,
    jsonb_build_object('anomaly_id', new.id, 'status', new.status, 'severity', new.severity, 'anomaly_type', new.anomaly_type,
      'component_name', new.source_component_name, 'resolution_notes', new.resolution_notes)
  );
  return null;
end
$$;

create trigger notify_channels after update of status on anomaly_signals
  for each row
  when (new.organization_id is not null and old.status is distinct from new.status and (
    new.status in ('resolved', 'false_positive') or (old.status = 'open' and new.status in ('acknowledged', 'investigating'))))
  execute function core314.anomaly_signals_notify_channels();
