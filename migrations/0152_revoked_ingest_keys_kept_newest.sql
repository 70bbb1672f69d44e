-- Revoked ingest keys stay listed, for the record, but only the newest of them. Revoking frees
-- room under the live-key limit, so creating and revoking in a loop would otherwise grow an
-- organization's list, which GET /v1/ingest-keys returns whole, without end. The revoking
-- transaction deletes the organization's revoked keys past the newest it keeps: whoever may
-- revoke a key may delete revoked keys, and never a live one.
grant delete on ingest_keys to authenticated, service_role;

create policy "admins forget their organization's revoked keys" on ingest_keys for delete to authenticated
  using (
    revoked_at is not null
    and (select core314.is_admin())
    and organization_id = (select core314.current_organization_id())
  );
create policy "service role forgets revoked keys" on ingest_keys for delete to service_role
  using (revoked_at is not null and (select core314.is_service_role()));
