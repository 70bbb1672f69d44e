-- A job whose runs may overlap across instances (the heal job, whose work is claimed row by row
-- under leases) claims its tick in job_runs before it runs and records the outcome after, so it
-- never holds its lock while it waits on a control endpoint. Until such a job's first run ends,
-- its row has a tick and no outcome yet.
alter table job_runs
  alter column last_finished_at drop not null,
  alter column last_outcome drop not null;
