-- Roles and JWT claims, Supabase/PostgREST style. Each unit of work runs in a transaction
-- that sets `role` to authenticated or service_role and `request.jwt.claims` to the verified
-- JWT payload (src/db/caller.ts), so row-level security is decided by PostgreSQL from
-- those two settings. The helpers below read the claims and fail closed: missing, empty or
-- malformed claims, or a sub that is not a UUID, mean nobody (null or false), never an
-- error and never everyone. Requires PostgreSQL 15 or newer.

-- Roles are cluster-wide and may already exist (a Supabase database, or another database on
-- the same cluster migrated earlier), so they are created only when absent and never altered.
do $$
declare
  api_role text;
begin
  foreach api_role in array array['authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = api_role) then
      execute format('create role %I nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls', api_role);
    end if;
    -- The connection's login role must be able to SET ROLE to them. From PostgreSQL 16 it
    -- does so without inheriting their privileges or policies, so a query that forgets to
    -- set a caller sees nothing instead of everything.
    if not pg_has_role(current_user, api_role, 'MEMBER') then
      if current_setting('server_version_num')::integer >= 160000 then
        execute format('grant %I to %I with inherit false, set true', api_role, current_user);
      else
        execute format('grant %I to %I', api_role, current_user);
      end if;
    end if;
  end loop;
end
$$;

create schema if not exists core314;
comment on schema core314 is 'Self-healing service internals: claims helpers, triggers, state machines, partition maintenance.';
grant usage on schema core314 to authenticated, service_role;

-- The claims as a JSON object, or null when they are missing, empty, not JSON or not an
-- object. plpgsql only for the exception handler that turns malformed text into null.
create function core314.jwt_claims() returns jsonb
language plpgsql stable
as $$
declare
  raw text := current_setting('request.jwt.claims', true);
  claims jsonb;
begin
  if raw is null or raw = '' then
    return null;
  end if;
  begin
    claims := raw::jsonb;
  exception when others then
    return null;
  end;
  return case when jsonb_typeof(claims) = 'object' then claims end;
end
$$;

-- A JSON string that is a canonical UUID, else null (never a cast error).
create function core314.uuid_or_null(value jsonb) returns uuid
language sql immutable
as $$
  select case
    when jsonb_typeof(value) = 'string'
      and value #>> '{}' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    then (value #>> '{}')::uuid
  end
$$;

create function core314.current_user_id() returns uuid
language sql stable
as $$ select core314.uuid_or_null(core314.jwt_claims() -> 'sub') $$;

create function core314.current_organization_id() returns uuid
language sql stable
as $$ select core314.uuid_or_null(core314.jwt_claims() #> '{app_metadata,organization_id}') $$;

-- An admin is an authenticated session whose verified claims say app_metadata.role = admin
-- and name a user. Admins see every row: they are Core314's platform operators.
create function core314.is_admin() returns boolean
language sql stable
as $$
  select current_user = 'authenticated'
    and coalesce(core314.jwt_claims() #>> '{app_metadata,role}' = 'admin', false)
    and core314.current_user_id() is not null
$$;

-- The service role is the session role and the claim together, so the login role that
-- owns the tables never passes for it by inheritance.
create function core314.is_service_role() returns boolean
language sql stable
as $$
  select current_user = 'service_role'
    and coalesce(core314.jwt_claims() ->> 'role' = 'service_role', false)
$$;

-- updated_at is the database's to keep: set on every update, whatever the statement said.
create function core314.set_updated_at() returns trigger
language plpgsql
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
