-- A signal's component is the target of the action the healing engine plans for it, and
-- recovery_actions.target_component_name holds 1-200 characters: one signal stored with an
-- empty name made every heal run fail on that check, for every organization. The name now
-- holds what every other component name holds. An empty name said no component, which is
-- what null says, so the ones already stored become null (the engine then treats them as any
-- signal without a component) instead of failing this migration or being given a guessed
-- name. None is longer than 200 characters: every writer (the API, the detector from health
-- events, Alertmanager, the self-tests, the forecaster) has always cut or refused longer ones.
update anomaly_signals set source_component_name = null where source_component_name = '';
alter table anomaly_signals add constraint anomaly_signals_source_component_name_check
  check (length(source_component_name) between 1 and 200);
