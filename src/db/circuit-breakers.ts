// Circuit breaker state per component: tripped by the circuit_breaker executor, moved on by
// the healing job (open -> half_open after the cooldown, half_open -> closed or open again by
// the component's health), read by callers deciding whether to send a component traffic.
import type { Tx } from './client.js'

export interface CircuitBreakerRow {
  component_name: string
  organization_id: string | null
  state: 'closed' | 'open' | 'half_open'
  opened_at: string | null
  half_opened_at: string | null
  closed_at: string | null
  next_probe_at: string | null
  cooldown_seconds: number
  reason: string | null
  last_action_id: string | null
  trip_count: number
  created_at: string
  updated_at: string
}

export interface Trip {
  componentName: string
  organizationId: string | null
  cooldownSeconds: number
  reason: string | null
  actionId: string
}

export async function tripBreaker (tx: Tx, trip: Trip): Promise<CircuitBreakerRow> {
  const [row] = await tx<CircuitBreakerRow[]>`
    insert into circuit_breakers (component_name, organization_id, state, opened_at, next_probe_at, cooldown_seconds, reason, last_action_id, trip_count)
    values (${trip.componentName}, ${trip.organizationId}, 'open', now(), now() + make_interval(secs => ${trip.cooldownSeconds}::float8),
      ${trip.cooldownSeconds}, ${trip.reason}, ${trip.actionId}, 1)
    on conflict (component_name) do update set
      state = 'open', opened_at = now(), half_opened_at = null,
      next_probe_at = now() + make_interval(secs => ${trip.cooldownSeconds}::float8),
      cooldown_seconds = excluded.cooldown_seconds, reason = excluded.reason, last_action_id = excluded.last_action_id,
      trip_count = circuit_breakers.trip_count + 1
    returning *`
  return row as CircuitBreakerRow
}

export async function closeBreaker (tx: Tx, componentName: string, reason: string): Promise<CircuitBreakerRow | undefined> {
  const [row] = await tx<CircuitBreakerRow[]>`
    update circuit_breakers set state = 'closed', closed_at = now(), next_probe_at = null, reason = ${reason}
    where component_name = ${componentName}
    returning *`
  return row
}

export async function findBreaker (tx: Tx, componentName: string): Promise<CircuitBreakerRow | undefined> {
  const [row] = await tx<CircuitBreakerRow[]>`select * from circuit_breakers where component_name = ${componentName}`
  return row
}

export async function listBreakers (tx: Tx, state: string | null): Promise<CircuitBreakerRow[]> {
  return await tx<CircuitBreakerRow[]>`
    select * from circuit_breakers where ${state}::text is null or state = ${state}
    order by component_name`
}

export interface BreakerMove {
  component_name: string
  from: string
  to: string
}

/**
 * Open breakers whose cooldown has passed go half_open; half-open ones close when the component
 * reported healthy since, and open again (a new cooldown) when it reported unhealthy or critical.
 */
export async function advanceBreakers (tx: Tx): Promise<BreakerMove[]> {
  const probing = await tx<BreakerMove[]>`
    update circuit_breakers set state = 'half_open', half_opened_at = now(), next_probe_at = null
    where component_name in (
      select component_name from circuit_breakers where state = 'open' and next_probe_at <= now() for update skip locked)
    returning component_name, 'open' as from, 'half_open' as to`
  const judged = await tx<BreakerMove[]>`
    with latest as (
      select b.component_name, e.status
      from circuit_breakers b
      cross join lateral (
        select status from system_health_events e
        where e.component_name = b.component_name and e.created_at >= b.half_opened_at
        order by e.created_at desc, e.id desc limit 1) e
      where b.state = 'half_open'
      for update of b skip locked
    )
    update circuit_breakers b set
      state = case when latest.status = 'healthy' then 'closed' else 'open' end,
      closed_at = case when latest.status = 'healthy' then now() else b.closed_at end,
      opened_at = case when latest.status = 'healthy' then b.opened_at else now() end,
      next_probe_at = case when latest.status = 'healthy' then null else now() + make_interval(secs => b.cooldown_seconds::float8) end,
      reason = case when latest.status = 'healthy' then 'the component reported healthy while half open'
        else 'the component reported ' || latest.status || ' while half open' end
    from latest
    where b.component_name = latest.component_name and latest.status in ('healthy', 'unhealthy', 'critical')
    returning b.component_name, 'half_open' as from, b.state as to`
  return [...probing, ...judged]
}
