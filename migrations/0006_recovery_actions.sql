-- recovery_actions (seed 1.3): what the self-healing engine did or means to do, with its
-- approval workflow, retries, verification and rollback. Beyond the seed's columns it has
-- what an engine running on several instances needs: dry_run, a lease (lease_owner,
-- lease_expires_at) for exactly-once claiming with FOR UPDATE SKIP LOCKED, approval expiry,
-- and verification state. The state machine and the approval rules are enforced here, so no
-- code path can run an action that needs approval and lacks it, or revive a final one:
-- a disallowed change raises SQLSTATE C3409.

-- A retry policy is an object whose known keys, when present, are numbers in range:
-- base_delay_seconds >= 0, factor >= 1, max_delay_seconds >= 0, jitter in [0, 1]. Checked on
-- write so the retry scheduler can trust it.
create function core314.retry_policy_is_valid(p_policy jsonb) returns boolean
language sql immutable
as $$
  select jsonb_typeof(p_policy) = 'object' and not exists (
    select 1
    from (values ('base_delay_seconds', 0, null), ('factor', 1, null), ('max_delay_seconds', 0, null), ('jitter', 0, 1))
      as bounds (key, low, high)
    where p_policy ? bounds.key
      and case when jsonb_typeof(p_policy -> bounds.key) = 'number'
            then (p_policy ->> bounds.key)::numeric not between bounds.low and coalesce(bounds.high, 'infinity'::numeric)
            else true
          end
  )
$$;

create table recovery_actions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid,
  organization_id uuid,

  action_type text not null check (action_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  action_category text,
  action_name text,
  action_description text,

  trigger_type text not null default 'manual'
    check (trigger_type in ('automatic', 'manual', 'scheduled', 'rollback', 'escalation')),
  triggered_by_user_id uuid,
  triggered_by_anomaly_id uuid references anomaly_signals (id) on delete set null,
  -- A reference, not a foreign key: health events are partitioned (their key is id plus
  -- created_at) and age out by dropping partitions, while an action's history outlives them.
  -- The event must exist when the reference is written (checked by trigger, SQLSTATE 23503).
  triggered_by_health_event_id uuid,
  triggered_by_escalation_id uuid references escalation_events (id) on delete set null,
  trigger_reason text,

  target_component_type text,
  target_component_name text not null check (length(target_component_name) between 1 and 200),
  target_component_id text,
  target_environment text,

  action_config jsonb not null default '{}' check (jsonb_typeof(action_config) = 'object'),
  action_parameters jsonb not null default '{}' check (jsonb_typeof(action_parameters) = 'object'),
  -- Backoff for schedule_recovery_action_retry(): delay = min(max_delay_seconds,
  -- base_delay_seconds * factor ^ (attempt_number - 1)), less up to `jitter` of it at random.
  retry_policy jsonb not null default '{"base_delay_seconds": 1, "factor": 2, "max_delay_seconds": 60, "jitter": 0.1}'
    check (core314.retry_policy_is_valid(retry_policy)),
  timeout_seconds integer not null default 30 check (timeout_seconds > 0),
  dry_run boolean not null default false,

  execution_status text not null default 'pending' check (execution_status in (
    'pending', 'pending_approval', 'approved', 'rejected', 'running', 'succeeded', 'failed',
    'retry_scheduled', 'cancelled', 'dry_run', 'rolled_back')),
  execution_started_at timestamptz,
  execution_completed_at timestamptz,
  execution_duration_ms numeric check (execution_duration_ms >= 0),
  lease_owner text,
  lease_expires_at timestamptz,

  attempt_number integer not null default 0 check (attempt_number >= 0),
  max_attempts integer not null default 3 check (max_attempts >= 1),
  last_attempt_at timestamptz,
  next_retry_at timestamptz,

  execution_result jsonb,
  execution_output text,
  execution_error text,
  execution_error_code text,
  success boolean,

  affected_users_count integer check (affected_users_count >= 0),
  affected_components text[] not null default '{}',
  downtime_seconds numeric check (downtime_seconds >= 0),
  recovery_effectiveness_score numeric check (recovery_effectiveness_score between 0 and 100),

  pre_action_metrics jsonb,
  post_action_metrics jsonb,
  metrics_improvement_percentage numeric,
  verification_status text check (verification_status in ('pending', 'verified', 'not_improved', 'inconclusive')),
  verification_due_at timestamptz,
  verified_at timestamptz,

  rollback_required boolean not null default false,
  rollback_action_id uuid references recovery_actions (id) on delete set null,
  rollback_reason text,
  rollback_completed_at timestamptz,

  requires_approval boolean not null default false,
  -- Filled on insert when omitted: pending if approval is required, else not_required.
  approval_status text not null check (approval_status in ('not_required', 'pending', 'approved', 'rejected', 'expired')),
  approval_expires_at timestamptz,
  approved_by uuid,
  approved_at timestamptz,
  approval_notes text,

  notifications_sent jsonb not null default '[]',
  notification_channels text[] not null default '{}',

  executed_by text,
  execution_context jsonb not null default '{}' check (jsonb_typeof(execution_context) = 'object'),

  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint recovery_actions_approval_matches_requirement
    check (requires_approval = (approval_status <> 'not_required')),
  constraint recovery_actions_pending_approval_is_pending
    check (execution_status <> 'pending_approval' or approval_status = 'pending'),
  constraint recovery_actions_approved_is_approved
    check (execution_status <> 'approved' or approval_status = 'approved'),
  constraint recovery_actions_rejected_is_rejected
    check (execution_status <> 'rejected' or approval_status = 'rejected'),
  -- The safety rule: an action that needs approval never runs (or ran) without it.
  constraint recovery_actions_runs_only_approved
    check (not requires_approval or approval_status = 'approved'
           or execution_status in ('pending_approval', 'rejected', 'cancelled', 'dry_run')),
  constraint recovery_actions_lease_complete
    check ((lease_owner is null) = (lease_expires_at is null))
);

alter table anomaly_signals
  add constraint anomaly_signals_triggered_recovery_action_id_fkey
  foreign key (triggered_recovery_action_id) references recovery_actions (id) on delete set null;

-- pending -> running -> succeeded | failed | retry_scheduled; approval in front of it when
-- required; rolled_back after a run; dry_run, rejected, cancelled and rolled_back are final.
create function core314.recovery_transition_allowed(p_from text, p_to text) returns boolean
language sql immutable
as $$
  select p_from = p_to or (p_from, p_to) in (
    ('pending', 'running'), ('pending', 'dry_run'),
    ('pending', 'cancelled'), ('pending', 'failed'),
    ('pending_approval', 'approved'), ('pending_approval', 'rejected'), ('pending_approval', 'cancelled'),
    ('approved', 'running'), ('approved', 'dry_run'), ('approved', 'cancelled'), ('approved', 'failed'),
    ('running', 'succeeded'), ('running', 'failed'), ('running', 'retry_scheduled'),
    ('running', 'cancelled'), ('running', 'dry_run'),
    ('retry_scheduled', 'running'), ('retry_scheduled', 'cancelled'), ('retry_scheduled', 'failed'),
    ('succeeded', 'rolled_back'),
    ('failed', 'rolled_back'), ('failed', 'retry_scheduled')
  )
$$;

-- Approval defaults and transitions, the execution state machine, and the health-event
-- reference. For users and admins the approver and the time are the caller and now(); the
-- service role may name them, since it acts for others.
create function core314.recovery_actions_guard() returns trigger
language plpgsql
as $$
begin
  if tg_op = 'INSERT' then
    new.approval_status := coalesce(new.approval_status,
      case when new.requires_approval then 'pending' else 'not_required' end);
    if new.approval_status = 'pending' and new.execution_status = 'pending' then
      new.execution_status := 'pending_approval';
    end if;
  else
    if new.execution_status is distinct from old.execution_status
       and not core314.recovery_transition_allowed(old.execution_status, new.execution_status) then
      raise exception using
        errcode = 'C3409',
        message = format('recovery action %s cannot move from %s to %s', old.id, old.execution_status, new.execution_status);
    end if;
    if new.approval_status is distinct from old.approval_status then
      if old.approval_status <> 'pending' or new.approval_status not in ('approved', 'rejected', 'expired') then
        raise exception using
          errcode = 'C3409',
          message = format('recovery action %s approval cannot move from %s to %s', old.id, old.approval_status, new.approval_status);
      end if;
      if new.approval_status in ('approved', 'rejected') then
        if core314.is_service_role() then
          new.approved_by := coalesce(new.approved_by, core314.current_user_id());
          new.approved_at := coalesce(new.approved_at, now());
        else
          new.approved_by := core314.current_user_id();
          new.approved_at := now();
        end if;
      end if;
    end if;
  end if;
  if new.triggered_by_health_event_id is not null
     and (tg_op = 'INSERT' or new.triggered_by_health_event_id is distinct from old.triggered_by_health_event_id)
     and not exists (select 1 from system_health_events where id = new.triggered_by_health_event_id) then
    raise exception using
      errcode = '23503',
      message = format('health event %s does not exist', new.triggered_by_health_event_id);
  end if;
  return new;
end
$$;

create trigger guard before insert or update on recovery_actions
  for each row execute function core314.recovery_actions_guard();
create trigger set_updated_at before update on recovery_actions
  for each row execute function core314.set_updated_at();

-- Query paths: keyset lists newest first (all; own rows; one target component, which also
-- serves the engine's per-component cooldowns and caps), organization statistics, the
-- engine's queues (unfinished work by status, retries by due time, verifications by due
-- time), and an anomaly's actions, at most one of them automatic.
create index recovery_actions_created_at_idx on recovery_actions (created_at desc, id desc);
create index recovery_actions_user_idx on recovery_actions (user_id, created_at desc, id desc) where user_id is not null;
create index recovery_actions_organization_idx on recovery_actions (organization_id, created_at desc) where organization_id is not null;
create index recovery_actions_component_idx on recovery_actions (target_component_name, created_at desc, id desc);
create index recovery_actions_unfinished_idx on recovery_actions (execution_status, created_at)
  where execution_status in ('pending', 'pending_approval', 'approved', 'running', 'retry_scheduled');
create index recovery_actions_retry_due_idx on recovery_actions (next_retry_at) where execution_status = 'retry_scheduled';
create index recovery_actions_verification_due_idx on recovery_actions (verification_due_at) where verification_status = 'pending';
create index recovery_actions_anomaly_idx on recovery_actions (triggered_by_anomaly_id) where triggered_by_anomaly_id is not null;
create unique index recovery_actions_one_automatic_per_anomaly on recovery_actions (triggered_by_anomaly_id)
  where trigger_type = 'automatic';

revoke all on recovery_actions from public, authenticated, service_role;
grant select, insert, update on recovery_actions to authenticated, service_role;

alter table recovery_actions enable row level security, force row level security;

create policy "users read own rows" on recovery_actions for select to authenticated
  using (user_id = (select core314.current_user_id()));
create policy "admins read all rows" on recovery_actions for select to authenticated
  using ((select core314.is_admin()));
create policy "service role reads all rows" on recovery_actions for select to service_role
  using ((select core314.is_service_role()));
create policy "service role inserts" on recovery_actions for insert to service_role
  with check ((select core314.is_service_role()));
create policy "service role updates" on recovery_actions for update to service_role
  using ((select core314.is_service_role())) with check ((select core314.is_service_role()));
-- Admins create actions by hand, approve, reject, cancel and roll back. Users only read:
-- the table grant lets authenticated try, and these policies refuse anyone not an admin.
create policy "admins insert" on recovery_actions for insert to authenticated
  with check ((select core314.is_admin()));
create policy "admins update all rows" on recovery_actions for update to authenticated
  using ((select core314.is_admin())) with check ((select core314.is_admin()));
