-- anomaly_signals (seed 1.2): anomalies the detector finds, with the LLM's root-cause analysis
-- and their lifecycle. The lifecycle is enforced here, not only in the API: a trigger refuses
-- disallowed status changes (SQLSTATE C3409) and records who acknowledged or resolved a
-- signal and when, so those columns can be granted to no API role. Users may change only
-- status and resolution_notes, on their own rows. At most one signal per organization,
-- component and anomaly type is active at a time, so a repeat detection updates the active
-- signal (insert ... on conflict) instead of paging someone twice.

create table anomaly_signals (
  id uuid primary key default gen_random_uuid(),
  user_id uuid,
  organization_id uuid,

  anomaly_type text not null check (anomaly_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  anomaly_category text,
  severity text not null check (severity in ('low', 'medium', 'high', 'critical')),
  confidence_score numeric check (confidence_score between 0 and 1),

  source_type text not null check (length(source_type) between 1 and 100),
  source_id uuid,
  source_component_type text,
  source_component_name text,

  anomaly_description text,
  anomaly_summary text,
  root_cause_analysis text,
  recommended_actions jsonb not null default '[]' check (jsonb_typeof(recommended_actions) = 'array'),

  baseline_value numeric,
  observed_value numeric,
  deviation_percentage numeric,
  -- The threshold value the observation crossed (2000 for a 2000 ms latency rule); null when
  -- only the adaptive score fired.
  threshold_exceeded numeric,

  pattern_type text check (pattern_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  pattern_duration_seconds numeric check (pattern_duration_seconds >= 0),
  -- Occurrences per hour of the pattern within its duration.
  pattern_frequency numeric check (pattern_frequency >= 0),
  -- How many times this signal has been detected; a repeat detection increments it.
  historical_occurrences integer not null default 1 check (historical_occurrences >= 0),

  affected_users_count integer check (affected_users_count >= 0),
  affected_components text[] not null default '{}',
  business_impact text,
  estimated_cost_impact numeric check (estimated_cost_impact >= 0),

  detection_method text,
  detection_algorithm text,
  detection_timestamp timestamptz not null default now(),
  -- When the condition was last seen; the detector auto-resolves after a quiet period.
  last_observed_at timestamptz,
  -- Set by the detector on a component that keeps opening and closing: held open.
  flapping boolean not null default false,

  status text not null default 'open'
    check (status in ('open', 'acknowledged', 'investigating', 'resolved', 'false_positive')),
  acknowledged_by uuid,
  acknowledged_at timestamptz,
  resolved_by uuid,
  resolved_at timestamptz,
  resolution_notes text,
  resolution_duration_minutes numeric check (resolution_duration_minutes >= 0),

  related_anomaly_ids uuid[] not null default '{}',
  triggered_recovery_action_id uuid,
  escalation_event_id uuid references escalation_events (id) on delete set null,

  gpt4o_prompt text,
  gpt4o_response text,
  gpt4o_model text,
  gpt4o_tokens_used integer check (gpt4o_tokens_used >= 0),
  gpt4o_analysis_duration_ms numeric check (gpt4o_analysis_duration_ms >= 0),

  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint anomaly_signals_closed_has_resolved_at
    check ((status in ('resolved', 'false_positive')) = (resolved_at is not null)),
  constraint anomaly_signals_acknowledged_has_acknowledged_at
    check (status not in ('acknowledged', 'investigating') or acknowledged_at is not null)
);

-- Open, acknowledged and investigating are active; resolved and false_positive are final. A
-- status may be set to itself (an idempotent repeat).
create function core314.anomaly_transition_allowed(p_from text, p_to text) returns boolean
language sql immutable
as $$
  select p_from = p_to or (p_from, p_to) in (
    ('open', 'acknowledged'), ('open', 'investigating'), ('open', 'resolved'), ('open', 'false_positive'),
    ('acknowledged', 'investigating'), ('acknowledged', 'resolved'), ('acknowledged', 'false_positive'),
    ('investigating', 'resolved'), ('investigating', 'false_positive')
  )
$$;

-- Records who and when for each step. Users and admins cannot write those columns, so for
-- them the caller from the claims and now() are what gets stored; the service role, which
-- acts for others and may replay history, may name them itself.
create function core314.anomaly_signals_lifecycle() returns trigger
language plpgsql
as $$
begin
  if tg_op = 'UPDATE' and not core314.anomaly_transition_allowed(old.status, new.status) then
    raise exception using
      errcode = 'C3409',
      message = format('anomaly %s cannot move from %s to %s', old.id, old.status, new.status);
  end if;
  if new.status in ('acknowledged', 'investigating') and new.acknowledged_at is null then
    new.acknowledged_at := now();
    new.acknowledged_by := coalesce(new.acknowledged_by, core314.current_user_id());
  end if;
  if new.status in ('resolved', 'false_positive') then
    new.resolved_at := coalesce(new.resolved_at, now());
    new.resolved_by := coalesce(new.resolved_by, core314.current_user_id());
    new.resolution_duration_minutes := coalesce(new.resolution_duration_minutes,
      round((extract(epoch from new.resolved_at - new.detection_timestamp) / 60)::numeric, 2));
  end if;
  return new;
end
$$;

create trigger lifecycle before insert on anomaly_signals
  for each row execute function core314.anomaly_signals_lifecycle();
create trigger lifecycle_on_status before update on anomaly_signals
  for each row when (old.status is distinct from new.status) execute function core314.anomaly_signals_lifecycle();
create trigger set_updated_at before update on anomaly_signals
  for each row execute function core314.set_updated_at();

-- Query paths: keyset lists newest first (all; own rows; one component), organization and
-- time-window statistics and correlation (detection_timestamp), and the active set, which
-- the unique index below both bounds and serves. No GIN index on related_anomaly_ids or
-- affected_components: array and JSON containment operators are not leakproof, so under
-- row-level security the planner may not use them as index conditions and such an index
-- would only slow writes.
create index anomaly_signals_created_at_idx on anomaly_signals (created_at desc, id desc);
create index anomaly_signals_user_idx on anomaly_signals (user_id, created_at desc, id desc) where user_id is not null;
create index anomaly_signals_organization_idx on anomaly_signals (organization_id, created_at desc) where organization_id is not null;
create index anomaly_signals_component_idx on anomaly_signals (source_component_name, created_at desc, id desc);
create index anomaly_signals_detection_idx on anomaly_signals (detection_timestamp desc);
create unique index anomaly_signals_one_active_per_source on anomaly_signals
  (organization_id, source_component_name, anomaly_type) nulls not distinct
  where status in ('open', 'acknowledged', 'investigating');

revoke all on anomaly_signals from public, authenticated, service_role;
grant select on anomaly_signals to authenticated;
grant update (status, resolution_notes) on anomaly_signals to authenticated;
grant select, insert, update on anomaly_signals to service_role;

alter table anomaly_signals enable row level security, force row level security;

create policy "users read own rows" on anomaly_signals for select to authenticated
  using (user_id = (select core314.current_user_id()));
create policy "admins read all rows" on anomaly_signals for select to authenticated
  using ((select core314.is_admin()));
create policy "service role reads all rows" on anomaly_signals for select to service_role
  using ((select core314.is_service_role()));
create policy "service role inserts" on anomaly_signals for insert to service_role
  with check ((select core314.is_service_role()));
create policy "service role updates" on anomaly_signals for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
-- Acknowledge and resolve: the column grant limits what; these limit whose. The row must
-- stay the caller's (or the caller an admin) after the update.
create policy "users update own rows" on anomaly_signals for update to authenticated
  using (user_id = (select core314.current_user_id()))
  with check (user_id = (select core314.current_user_id()));
create policy "admins update all rows" on anomaly_signals for update to authenticated
  using ((select core314.is_admin())) with check ((select core314.is_admin()));
