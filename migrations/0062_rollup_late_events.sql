-- Late events fold into the rollups (issue 15). The rollup buckets health events by event time;
-- an event whose hour was already rolled up when it arrived is found by its arrival
-- (system_health_events_created_at_idx) and its hour rolled up again. late_checked_from is where
-- the next pass starts looking: arrivals at or after it may not be in their hour's rollup yet.
alter table health_event_rollup_state add column late_checked_from timestamptz;
