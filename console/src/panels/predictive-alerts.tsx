// Forecasts: the forecaster's active alerts that a resource runs out (GET /v1/predictive-alerts),
// soonest first within the page the API returns newest first; the monitor shows the
// organization's, a component's page its own. Live through the stream's predictive_alert topic.
import { api, call } from '../api'
import { componentHref, ownerQuery, type Owner } from '../component-route'
import { useResource } from '../hooks'
import type { Who } from '../session'
import { Badge, Empty, Notice, Section, When, num } from '../ui'

const LIMIT = 10

export function PredictiveAlerts({ caller, component }: { caller: Who; component?: { name: string; owner: Owner } }) {
  const alerts = useResource(
    async () =>
      await call(
        api.GET('/v1/predictive-alerts', {
          params: {
            query: {
              status: 'active',
              limit: LIMIT,
              ...(component === undefined ? {} : { component_name: component.name, ...ownerQuery(component.owner) })
            }
          }
        })
      ),
    [component?.name, component?.owner],
    ['predictive_alert']
  )
  const items = [...(alerts.data?.items ?? [])].sort(
    (a, b) => Date.parse(a.forecast_target_time ?? '9999') - Date.parse(b.forecast_target_time ?? '9999')
  )
  return (
    <Section title="Forecasts" busy={alerts.pending}>
      <Notice error={alerts.error} onRetry={alerts.reload} />
      {alerts.data !== undefined && items.length === 0 && <Empty>No resource is forecast to run out.</Empty>}
      <ul class="feed">
        {items.map(alert => (
          <li key={alert.id}>
            <Badge value={alert.severity} /> <strong>{alert.metric_name.replace(/_/g, ' ')}</strong>
            {component === undefined ? (
              <>
                {' of '}
                <a href={componentHref(caller, alert.component_name ?? '', alert.organization_id)}>
                  {alert.component_name}
                </a>
              </>
            ) : null}{' '}
            reaches {num(alert.threshold_value, 0)} <When at={alert.forecast_target_time} /> (now{' '}
            {num(alert.actual_value)}, confidence{' '}
            {num(alert.confidence_score === null ? null : alert.confidence_score * 100, 0, ' %')})
            {alert.message === null ? null : <div class="muted small">{alert.message}</div>}
          </li>
        ))}
      </ul>
    </Section>
  )
}
