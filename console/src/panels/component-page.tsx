// A component's page: its health over the last hours, forecasts, events, signals, actions, circuit
// breaker and control targets (secrets are never returned by the API, nor shown here). A component
// is (organization, name): when the address names the organization every call is narrowed to it,
// so an admin never sees two organizations' components of one name mixed on one page.
import { api, call } from '../api'
import { ownerQuery, ownerUuidQuery, type Owner } from '../component-route'
import { useResource } from '../hooks'
import type { Who } from '../session'
import { Badge, Empty, Notice, Organization, Section, Sparkline, When, num } from '../ui'
import { PredictiveAlerts } from './predictive-alerts'

const HOURS = 6

/**
 * The organization whose breaker and registration the page reads: the one its address names, else
 * the caller's own (none: the platform's), as the API's single reads take it. Read through the
 * lists filtered by name, where none is an empty list: a 404 for a component that simply has no
 * breaker would be an error in the browser's console on most pages.
 */
function actingIn(owner: Owner, caller: Who): { organization_id: string } {
  return { organization_id: owner === undefined ? (caller.organizationId ?? 'platform') : (owner ?? 'platform') }
}

// An event measured this long before it arrived (a backfill, a stalled sender) says when it came.
const LATE_MS = 60_000
const late = (event: { event_time: string; created_at: string }) =>
  Date.parse(event.created_at) - Date.parse(event.event_time) > LATE_MS

export function ComponentPage({ name, owner, caller }: { name: string; owner: Owner; caller: Who }) {
  const since = new Date(Date.now() - HOURS * 3600_000).toISOString()
  const narrow = ownerQuery(owner)
  const trends = useResource(
    async () =>
      await call(
        api.GET('/v1/health/trends', {
          params: { query: { component_name: name, since, bucket: '15 minutes', ...ownerUuidQuery(owner) } }
        })
      ),
    [name, owner],
    []
  )
  const events = useResource(
    async () =>
      await call(api.GET('/v1/health-events', { params: { query: { component_name: name, limit: 15, ...narrow } } })),
    [name, owner],
    []
  )
  const signals = useResource(
    async () =>
      await call(
        api.GET('/v1/anomalies', { params: { query: { source_component_name: name, limit: 15, ...narrow } } })
      ),
    [name, owner],
    ['anomaly']
  )
  const actions = useResource(
    async () =>
      await call(
        api.GET('/v1/recovery-actions', { params: { query: { target_component_name: name, limit: 15, ...narrow } } })
      ),
    [name, owner],
    ['recovery_action']
  )
  // The service role must name the organization of one component: without it (an address naming
  // the component alone) the console shows its lists only.
  const unnamed = caller.kind === 'service' && owner === undefined
  const breaker = useResource(
    async () =>
      unnamed
        ? null
        : ((
            await call(
              api.GET('/v1/circuit-breakers', {
                params: { query: { component_name: name, ...actingIn(owner, caller) } }
              })
            )
          )[0] ?? null),
    [name, owner],
    ['recovery_action']
  )
  const targets = useResource(
    async () =>
      unnamed
        ? null
        : ((
            await call(
              api.GET('/v1/components', { params: { query: { component_name: name, ...actingIn(owner, caller) } } })
            )
          )[0] ?? null),
    [name, owner],
    []
  )
  // The trends rows name their organization: the platform's own, which the query cannot name, is picked here.
  const points = (trends.data ?? []).filter(point => owner === undefined || point.organization_id === owner)

  return (
    <div class="panel-grid">
      <p>
        <a href="#/monitor">← All components</a> <Organization caller={caller} id={owner} />
      </p>
      <Section title={`${name}: last ${HOURS} hours`} busy={trends.pending}>
        <Notice error={trends.error} onRetry={trends.reload} />
        <dl class="charts">
          {(
            [
              ['Latency p95 (ms)', points.map(p => p.avg_latency_p95_ms)],
              ['Error rate (%)', points.map(p => p.avg_error_rate)],
              ['CPU (%)', points.map(p => p.avg_cpu_usage_percent)],
              ['Memory (%)', points.map(p => p.avg_memory_usage_percent)],
              ['Availability (%)', points.map(p => p.avg_availability_percentage)]
            ] as const
          ).map(([label, values]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>
                <strong>{num(values.filter(value => value !== null).pop(), 1)}</strong>
                <Sparkline values={[...values]} label={label} />
              </dd>
            </div>
          ))}
        </dl>
      </Section>
      <PredictiveAlerts caller={caller} component={{ name, owner }} />
      <Section title="Signals" busy={signals.pending}>
        <Notice error={signals.error} onRetry={signals.reload} />
        {signals.data?.items.length === 0 && <Empty>No signals for this component.</Empty>}
        <ul class="feed">
          {signals.data?.items.map(signal => (
            <li key={signal.id}>
              <Badge value={signal.severity} /> <Badge value={signal.status} /> {signal.anomaly_type.replace(/_/g, ' ')}{' '}
              <When at={signal.detection_timestamp} />
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Actions" busy={actions.pending}>
        <Notice error={actions.error} onRetry={actions.reload} />
        {actions.data?.items.length === 0 && <Empty>No actions.</Empty>}
        <ul class="feed">
          {actions.data?.items.map(action => (
            <li key={action.id}>
              <Badge value={action.execution_status} /> {action.action_type.replace(/_/g, ' ')}{' '}
              <When at={action.created_at} />
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Circuit breaker and control targets" busy={breaker.pending || targets.pending}>
        <Notice
          error={breaker.error ?? targets.error}
          onRetry={breaker.error === null ? targets.reload : breaker.reload}
        />
        {breaker.data === undefined ? null : breaker.data === null ? (
          <Empty>No breaker recorded. It never opened, so it is closed.</Empty>
        ) : (
          <p>
            Breaker <Badge value={breaker.data.state} />, tripped {breaker.data.trip_count} times
            {breaker.data.reason === null ? '' : `: ${breaker.data.reason}`}
          </p>
        )}
        {targets.data === undefined ? null : targets.data === null ? (
          <Empty>No control targets registered.</Empty>
        ) : (
          <dl class="pairs">
            <dt>Type</dt>
            <dd>{targets.data.component_type}</dd>
            <dt>Webhook</dt>
            <dd>{targets.data.webhook_url ?? '–'}</dd>
            <dt>Redis</dt>
            <dd>
              {targets.data.redis_url ?? '–'}{' '}
              {targets.data.key_prefix === null ? '' : `(keys ${targets.data.key_prefix}*)`}
            </dd>
            <dt>Database</dt>
            <dd>
              {targets.data.database_url ?? '–'}{' '}
              {targets.data.application_name === null ? '' : `(application ${targets.data.application_name})`}
            </dd>
          </dl>
        )}
      </Section>
      <Section title="Recent events" busy={events.pending}>
        <Notice error={events.error} onRetry={events.reload} />
        {events.data?.items.length === 0 && <Empty>No events reported.</Empty>}
        {events.data !== undefined && events.data.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Measured</th>
                <th scope="col">Status</th>
                <th scope="col">Latency</th>
                <th scope="col">Errors</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.map(event => (
                <tr key={event.id}>
                  <td>
                    <When at={event.event_time} />
                    {late(event) && (
                      <div class="muted small">
                        arrived <When at={event.created_at} />
                      </div>
                    )}
                  </td>
                  <td>
                    <Badge value={event.status} />
                  </td>
                  <td>{num(event.latency_ms, 0, ' ms')}</td>
                  <td>{num(event.error_rate, 2, ' %')}</td>
                  <td class="text">{event.last_error_message ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  )
}
