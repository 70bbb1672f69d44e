-- Request ids on the rows a request causes, and people acting on escalations through the API.
--
-- request_id: the X-Request-Id of the API request whose work wrote the row (an audit entry,
-- an escalation), taken from the transaction's core314.request_id setting, which the service
-- sets on every transaction it opens (empty for the jobs' own work, hence null). A column
-- default, so every writer, present and future, records it without passing it along.
alter table decision_audit_log
  add column if not exists request_id text default nullif(current_setting('core314.request_id', true), '');
alter table escalation_events
  add column if not exists request_id text default nullif(current_setting('core314.request_id', true), '');

-- Acknowledging and resolving an escalation (POST /v1/escalations/{id}/acknowledge, /resolve):
-- its owner or an admin, as with anomalies; the service role could already update. Only the
-- lifecycle columns: what was escalated and why stays as the engine wrote it.
grant update (status, acknowledged_by, acknowledged_at, resolved_by, resolved_at) on escalation_events to authenticated;
create policy "users update own rows" on escalation_events for update to authenticated
  using (user_id = (select core314.current_user_id()))
  with check (user_id = (select core314.current_user_id()));
create policy "admins update all rows" on escalation_events for update to authenticated
  using ((select core314.is_admin()))
  with check ((select core314.is_admin()));

-- GET /v1/decisions?component=...: the part that decided, newest first (subject_id and the
-- owner already have theirs).
create index if not exists decision_audit_log_component_idx on decision_audit_log (component, created_at desc, id desc);
