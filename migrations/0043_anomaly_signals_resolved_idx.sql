-- The detector asks which signals were closed during its window, so a breach a closed signal
-- already stood for (still inside the window after healing resolved it) does not reopen it.
create index anomaly_signals_resolved_idx on anomaly_signals (resolved_at) where resolved_at is not null;
