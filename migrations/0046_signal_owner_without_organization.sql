-- 0045 let a signal's owner read and update it only when the signal's organization is the
-- owner's token's. A Core314 service may post a user's signal naming no organization, and its
-- owner read it until then: such a signal stays the owner's. A signal naming another
-- organization than the owner's token still shows nothing but to admins and the service role.
drop policy "users read own rows" on anomaly_signals;
create policy "users read own rows" on anomaly_signals for select to authenticated
  using (user_id = (select core314.current_user_id())
    and (organization_id is null or organization_id = (select core314.current_organization_id())));
drop policy "users update own rows" on anomaly_signals;
create policy "users update own rows" on anomaly_signals for update to authenticated
  using (user_id = (select core314.current_user_id())
    and (organization_id is null or organization_id = (select core314.current_organization_id())))
  with check (user_id = (select core314.current_user_id())
    and (organization_id is null or organization_id = (select core314.current_organization_id())));
