-- The service role reads every row and writes on anyone's behalf, naming the organization. A
-- service credential that carries an organization of its own (app_metadata.organization_id: an
-- organization's service token, or an ingest key, which acts as the service role for its
-- organization) was not held to it: one organization's service token could read another's
-- registry, post events, signals and actions for it, or acknowledge its signals. On each table the
-- healing path reads and acts on, such a credential now sees, writes and changes only its own
-- organization's rows (not another's, nor the platform's). A restrictive policy is ANDed with the
-- permissive ones, so nothing is widened; the service's own jobs and service tokens without an
-- organization act for every organization as before. Admins are Core314's platform operators
-- (0002) and are not affected.
create function core314.within_credential_organization(row_organization uuid) returns boolean
language sql stable
as $$
  select not core314.is_service_role()
    or core314.current_organization_id() is null
    or row_organization is not distinct from core314.current_organization_id()
$$;

create policy "organization-bound service credentials stay in their organization" on system_health_events
  as restrictive for all to service_role
  using (core314.within_credential_organization(organization_id))
  with check (core314.within_credential_organization(organization_id));

create policy "organization-bound service credentials stay in their organization" on anomaly_signals
  as restrictive for all to service_role
  using (core314.within_credential_organization(organization_id))
  with check (core314.within_credential_organization(organization_id));

create policy "organization-bound service credentials stay in their organization" on recovery_actions
  as restrictive for all to service_role
  using (core314.within_credential_organization(organization_id))
  with check (core314.within_credential_organization(organization_id));

create policy "organization-bound service credentials stay in their organization" on components
  as restrictive for all to service_role
  using (core314.within_credential_organization(organization_id))
  with check (core314.within_credential_organization(organization_id));

create policy "organization-bound service credentials stay in their organization" on circuit_breakers
  as restrictive for all to service_role
  using (core314.within_credential_organization(organization_id))
  with check (core314.within_credential_organization(organization_id));
