// The state an SRE alerts on, read in one statement at scrape time: open anomalies by severity
// and type, unfinished recovery actions by status (pending approvals among them), breakers by
// state, the healing mode, silences and the detector's catch-up on late history. Counts only, across all organizations: /metrics is an operator's
// view, and no organization, component or user appears in a label. Each part reads a partial
// index (open anomalies, unfinished actions) or a table of one row per component (breakers),
// so a scrape stays cheap however long the history grows (catch-ups are one row per component
// catching up).
import type { Tx } from './client.js'

export interface OperationalGauges {
  openAnomalies: Array<{ severity: string; anomaly_type: string; count: number }>
  unfinishedActions: Array<{ status: string; count: number }>
  breakers: Array<{ state: string; count: number }>
  mode: string | null
  /** Silences whose range covers now (a recurring one counts between its windows too). */
  silencesActive: Array<{ recurring: boolean; count: number }>
  /** Open signals a silence holds now. */
  signalsSilenced: number
  /** Components whose late history the detector is still judging, and how far behind now the furthest stands. */
  catchUp: { components: number; lagSeconds: number }
}

export async function readOperationalGauges(tx: Tx): Promise<OperationalGauges> {
  const [row] = await tx<
    [
      {
        anomalies: OperationalGauges['openAnomalies'] | null
        actions: OperationalGauges['unfinishedActions'] | null
        breakers: OperationalGauges['breakers'] | null
        mode: string | null
        silences: OperationalGauges['silencesActive'] | null
        silenced: number
        catch_up_components: number
        catch_up_lag_seconds: number
      }
    ]
  >`
    select
      (select json_agg(a) from (
        select severity, anomaly_type, count(*)::int as count from anomaly_signals where status = 'open' group by 1, 2
      ) a) as anomalies,
      (select json_agg(r) from (
        select execution_status as status, count(*)::int as count from recovery_actions
        where execution_status in ('pending', 'pending_approval', 'approved', 'running', 'retry_scheduled') group by 1
      ) r) as actions,
      (select json_agg(b) from (
        select state, count(*)::int as count from circuit_breakers group by 1
      ) b) as breakers,
      (select mode from self_healing_settings where id) as mode,
      (select json_agg(s) from (
        select recurrence is not null as recurring, count(*)::int as count from silences
        where starts_at <= now() and ends_at > now() group by 1
      ) s) as silences,
      (select count(*)::int from anomaly_signals a
        where a.status = 'open' and a.silence_id is not null and a.silenced_until > now()
          and exists (select 1 from silences s where s.id = a.silence_id and s.ends_at > now())) as silenced,
      (select count(*)::int from detection_catch_ups) as catch_up_components,
      (select coalesce(greatest(extract(epoch from now() - min(next_at)), 0), 0)::float8 from detection_catch_ups) as catch_up_lag_seconds`
  return {
    openAnomalies: row.anomalies ?? [],
    unfinishedActions: row.actions ?? [],
    breakers: row.breakers ?? [],
    mode: row.mode,
    silencesActive: row.silences ?? [],
    signalsSilenced: row.silenced,
    catchUp: { components: row.catch_up_components, lagSeconds: row.catch_up_lag_seconds }
  }
}
