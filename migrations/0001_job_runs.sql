-- The last tick each scheduled job ran, shared by all instances: the scheduler claims a tick
-- here under an advisory lock so a tick runs once, and self-tests read it to see stalled jobs.
create table job_runs (
  job_name text primary key,
  last_tick timestamptz not null,
  last_finished_at timestamptz not null,
  last_outcome text not null check (last_outcome in ('succeeded', 'failed')),
  last_error text,
  run_count bigint not null default 0,
  failure_count bigint not null default 0
);
