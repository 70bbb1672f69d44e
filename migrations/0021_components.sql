-- The component registry: for each Core314 component, the control targets recovery executors
-- act through (a signed webhook, a Redis key prefix, a database application's connections).
-- The webhook secret is readable by the service role only (the executors); people never read
-- it back, which a column grant enforces below the API as well as in it.
create table components (
  component_name text primary key check (component_name ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$'),
  component_type text not null check (length(component_type) between 1 and 100),
  organization_id uuid,
  description text,
  webhook_url text check (webhook_url ~ '^https?://'),
  webhook_secret text check (length(webhook_secret) between 16 and 512),
  redis_url text check (redis_url ~ '^rediss?://'),
  key_prefix text check (length(key_prefix) between 1 and 200),
  database_url text check (database_url ~ '^postgres(ql)?://'),
  application_name text check (length(application_name) between 1 and 64),
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint components_webhook_signed check (webhook_url is null or webhook_secret is not null),
  constraint components_redis_prefixed check (redis_url is null or key_prefix is not null),
  constraint components_database_scoped check (database_url is null or application_name is not null)
);

create trigger set_updated_at before update on components
  for each row execute function core314.set_updated_at();

-- A registration sent again without its secret keeps the stored one (nobody can read it back
-- to resend it); a registration without a webhook drops it.
create function core314.components_keep_secret() returns trigger
language plpgsql
as $$
begin
  if new.webhook_url is null then
    new.webhook_secret := null;
  elsif new.webhook_secret is null then
    new.webhook_secret := old.webhook_secret;
  end if;
  return new;
end
$$;

create trigger keep_secret before update on components
  for each row execute function core314.components_keep_secret();

create index components_organization_idx on components (organization_id) where organization_id is not null;

revoke all on components from public, authenticated, service_role;
grant select (component_name, component_type, organization_id, description, webhook_url, redis_url, key_prefix,
  database_url, application_name, metadata, created_at, updated_at) on components to authenticated;
grant insert, update on components to authenticated;
grant select, insert, update on components to service_role;

alter table components enable row level security, force row level security;

create policy "members read their organization's components" on components for select to authenticated
  using (organization_id is null or organization_id = (select core314.current_organization_id()) or (select core314.is_admin()));
create policy "service role reads all" on components for select to service_role
  using ((select core314.is_service_role()));
create policy "admins register" on components for insert to authenticated
  with check ((select core314.is_admin()));
create policy "admins update" on components for update to authenticated
  using ((select core314.is_admin())) with check ((select core314.is_admin()));
create policy "service role registers" on components for insert to service_role
  with check ((select core314.is_service_role()));
create policy "service role updates" on components for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
