// Circuit breaker state per component: tripped by the circuit_breaker executor, moved on by
// the healing job (open -> half_open after the cooldown, half_open -> closed or open again by
// the component's health), read by callers deciding whether to send a component traffic.
import type { Tx } from './client.js'
import { sameOrganization, type ComponentKey } from './organization-key.js'

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

export interface Trip extends ComponentKey {
  cooldownSeconds: number
  reason: string | null
  actionId: string
}

export async function tripBreaker(tx: Tx, trip: Trip): Promise<CircuitBreakerRow> {
  const [row] = await tx<CircuitBreakerRow[]>`
    insert into circuit_breakers (component_name, organization_id, state, opened_at, next_probe_at, cooldown_seconds, reason, last_action_id, trip_count)
    values (${trip.componentName}, ${trip.organizationId}, 'open', now(), now() + make_interval(secs => ${trip.cooldownSeconds}::float8),
      ${trip.cooldownSeconds}, ${trip.reason}, ${trip.actionId}, 1)
    on conflict (organization_id, component_name) do update set
      state = 'open', opened_at = now(), half_opened_at = null,
      next_probe_at = now() + make_interval(secs => ${trip.cooldownSeconds}::float8),
      cooldown_seconds = excluded.cooldown_seconds, reason = excluded.reason, last_action_id = excluded.last_action_id,
      trip_count = circuit_breakers.trip_count + 1
    returning *`
  return row as CircuitBreakerRow
}

export async function closeBreaker(tx: Tx, key: ComponentKey, reason: string): Promise<CircuitBreakerRow | undefined> {
  const [row] = await tx<CircuitBreakerRow[]>`
    update circuit_breakers set state = 'closed', closed_at = now(), next_probe_at = null, reason = ${reason}
    where ${sameOrganization(tx, 'organization_id', key.organizationId)} and component_name = ${key.componentName}
    returning *`
  return row
}

export async function findBreaker(tx: Tx, key: ComponentKey): Promise<CircuitBreakerRow | undefined> {
  const [row] = await tx<CircuitBreakerRow[]>`
    select * from circuit_breakers
    where ${sameOrganization(tx, 'organization_id', key.organizationId)} and component_name = ${key.componentName}`
  return row
}

export interface BreakerFilter {
  state: string | null
  componentName: string | null
  /** Only this organization's (null: the platform's); undefined: every one the caller may see. */
  organizationId?: string | null | undefined
}

export async function listBreakers(tx: Tx, filter: BreakerFilter): Promise<CircuitBreakerRow[]> {
  return await tx<CircuitBreakerRow[]>`
    select * from circuit_breakers
    where (${filter.state}::text is null or state = ${filter.state})
      and (${filter.componentName}::text is null or component_name = ${filter.componentName})
      ${filter.organizationId === undefined ? tx`` : tx`and ${sameOrganization(tx, 'organization_id', filter.organizationId)}`}
    order by organization_id nulls first, component_name`
}

export interface BreakerMove {
  organization_id: string | null
  component_name: string
  from: string
  to: string
}

/**
 * Open breakers whose cooldown has passed go half_open; half-open ones close when the component
 * reported healthy since, and open again (a new cooldown) when it reported unhealthy or critical.
 */
export async function advanceBreakers(tx: Tx): Promise<BreakerMove[]> {
  const probing = await tx<BreakerMove[]>`
    with due as (
      select organization_id, component_name from circuit_breakers where state = 'open' and next_probe_at <= now() for update skip locked)
    update circuit_breakers b set state = 'half_open', half_opened_at = now(), next_probe_at = null
    from due
    where b.organization_id is not distinct from due.organization_id and b.component_name = due.component_name
    returning b.organization_id, b.component_name, 'open' as from, 'half_open' as to`
  const judged = await tx<BreakerMove[]>`
    with latest as (
      select b.organization_id, b.component_name, e.status
      from circuit_breakers b
      cross join lateral (
        select status from system_health_events e
        where core314.organization_key(e.organization_id) = core314.organization_key(b.organization_id)
          and e.component_name = b.component_name and e.event_time >= b.half_opened_at
        order by e.event_time desc, e.id desc limit 1) e
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
    where b.organization_id is not distinct from latest.organization_id and b.component_name = latest.component_name
      and latest.status in ('healthy', 'unhealthy', 'critical')
    returning b.organization_id, b.component_name, 'half_open' as from, b.state as to`
  return [...probing, ...judged]
}
