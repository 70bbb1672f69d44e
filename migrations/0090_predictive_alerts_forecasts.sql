-- Predictive alerts (issue 21): the forecaster writes predictive_alerts, which until now nothing
-- wrote. A forecast is about one organization's component's metric, so the table gains the
-- component half of that key (0045's rule: a component is (organization_id, component_name)),
-- the time an alert stopped being active, and the signal it opened for healing.
--
-- One open alert per (organization, component, metric): the forecaster upserts on this index, so
-- two runs at once (two instances, a job and a slow predecessor) update one row instead of
-- writing two. It also serves every run's read of the open alerts.
alter table predictive_alerts
  add column if not exists component_name text check (length(component_name) between 1 and 200),
  add column if not exists component_type text check (length(component_type) between 1 and 100),
  add column if not exists anomaly_signal_id uuid,
  add column if not exists closed_at timestamptz;

create unique index predictive_alerts_open_key on predictive_alerts
  (core314.organization_key(organization_id), component_name, metric_name)
  where status in ('active', 'acknowledged') and component_name is not null;

-- A list limited to one organization, newest first (the route's keyset).
create index predictive_alerts_organization_idx on predictive_alerts
  (core314.organization_key(organization_id), created_at desc, id desc);

-- A forecast belongs to the organization, not to one member (docs/tenancy.md's evidence rule
-- keeps detector signals from members because their evidence spans every member's events; an
-- alert carries only a trend of the organization's own component, which its members may read).
-- The platform's own (null organization) stay with admins and the service role.
create policy "members read their organization's alerts" on predictive_alerts for select to authenticated
  using (organization_id = (select core314.current_organization_id()));
