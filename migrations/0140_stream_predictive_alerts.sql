-- The live stream (0120) also names changes to predictive alerts, so the console's forecasts
-- appear and clear without a reload. The forecaster writes them as the service role, which may
-- append to the stream log; a stream re-reads each alert as its caller (members see their
-- organization's alerts, as GET /v1/predictive-alerts shows them).
alter table stream_events drop constraint stream_events_topic_check;
alter table stream_events add constraint stream_events_topic_check
  check (topic in ('anomaly', 'recovery_action', 'selftest', 'escalation', 'healing_mode', 'predictive_alert'));

create trigger stream_event after insert or update on predictive_alerts
  for each row execute function core314.record_stream_event('predictive_alert');
