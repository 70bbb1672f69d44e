// The adaptive scorer's state per organization, component and metric (detector_states): read
// before a run feeds a metric its new events, written back after. A write never moves a state
// backwards: of two runs feeding the same metric at once, the one that got further stays.
import type { Tx } from './client.js'
import type { HistoryMetric } from './health-series.js'

export interface ScorerStateKey {
  organization_id: string | null
  component_name: string
  metric: HistoryMetric
}

export interface StoredScorerState extends ScorerStateKey {
  /** The last event fed: its event time (exact, as PostgreSQL prints it, and in epoch ms) and id. */
  last_event_at: string
  last_event_ms: number
  last_event_id: string
  points_fed: number
  state: unknown
}

/** The stored state of each key, in the keys' order (undefined where none is stored). */
export async function scorerStates(tx: Tx, keys: ScorerStateKey[]): Promise<Array<StoredScorerState | undefined>> {
  if (keys.length === 0) return []
  const rows = await tx<Array<StoredScorerState & { i: number }>>`
    select k.i, s.organization_id, s.component_name, s.metric, s.last_event_id, s.points_fed::float8 as points_fed, s.state,
      s.last_event_at::text as last_event_at, extract(epoch from s.last_event_at)::float8 * 1000 as last_event_ms
    from jsonb_to_recordset(${tx.json(keys.map((key, i) => ({ ...key, i })) as never)})
      as k(i int, organization_id uuid, component_name text, metric text)
    join detector_states s on s.organization_id is not distinct from k.organization_id
      and s.component_name = k.component_name and s.metric = k.metric`
  const byIndex = new Map(rows.map(({ i, ...row }) => [i, row]))
  return keys.map((_, i) => byIndex.get(i))
}

export async function saveScorerStates(tx: Tx, states: StoredScorerState[]): Promise<void> {
  if (states.length === 0) return
  await tx`
    insert into detector_states (organization_id, component_name, metric, last_event_at, last_event_id, points_fed, state)
    select organization_id, component_name, metric, last_event_at, last_event_id, points_fed, state
    from jsonb_to_recordset(${tx.json(states as never)})
      as s(organization_id uuid, component_name text, metric text, last_event_at timestamptz, last_event_id uuid, points_fed bigint, state jsonb)
    on conflict (organization_id, component_name, metric) do update set
      last_event_at = excluded.last_event_at, last_event_id = excluded.last_event_id, points_fed = excluded.points_fed,
      state = excluded.state, updated_at = now()
    where (detector_states.last_event_at, detector_states.last_event_id) < (excluded.last_event_at, excluded.last_event_id)`
}
