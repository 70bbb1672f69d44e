-- The detector reopens a signal it auto-resolved when the same incident comes back soon after
-- (DETECT_REOPEN_MINUTES, docs/detection.md), instead of opening a second signal for it. So a
-- resolved signal may go back to open, but only in the detector's reopening statement: the
-- service role with core314.reopening set for it (reopenSignals in src/db/detection-signals.ts).
-- Every other move, update_anomaly_status's and the API's included, stays as 0005 has it. The
-- reopened signal is unresolved again, so its resolution columns are cleared; its next
-- resolution sets them afresh.
create or replace function core314.anomaly_signals_lifecycle() returns trigger
language plpgsql
as $$
begin
  if tg_op = 'UPDATE' and old.status = 'resolved' and new.status = 'open' and core314.is_service_role()
    and current_setting('core314.reopening', true) = 'on' then
    new.resolved_at := null;
    new.resolved_by := null;
    new.resolution_duration_minutes := null;
    return new;
  end if;
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
