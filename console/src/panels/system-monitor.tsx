// SystemMonitor: every component the caller may see over the last hours, worst first, with
// its status, latency p95, error rate, resource use and availability, a chart per row, and
// what the engine decided lately and what the forecaster expects to run out. Filtered and paged by the service (GET /v1/health/components),
// which returns the page's charts with its rows (trend_bucket): one request a page.
import { useState } from 'preact/hooks'
import { api, call } from '../api'
import { componentHref } from '../component-route'
import { useResource, useTypedFilter } from '../hooks'
import type { Who } from '../session'
import { Badge, Empty, Notice, Organization, Section, Sparkline, When, num } from '../ui'
import { DecisionFeed } from './decision-feed'
import { PredictiveAlerts } from './predictive-alerts'

const HOURS = 6
const PAGE = 50
const STATUSES = ['', 'critical', 'unhealthy', 'degraded', 'healthy', 'unknown'] as const

const sinceHours = (hours: number) => new Date(Date.now() - hours * 3600_000).toISOString()

export function SystemMonitor({ caller }: { caller: Who }) {
  // What is typed, and the search applied once typing pauses: one request for a word, not one a key.
  const [draft, setDraft] = useState('')
  const [search, setSearch] = useState('')
  const typed = useTypedFilter(value => {
    setSearch(value)
    setOffset(0)
  })
  const [status, setStatus] = useState('')
  const [offset, setOffset] = useState(0)
  const page = useResource(
    async () =>
      await call(
        api.GET('/v1/health/components', {
          params: {
            query: {
              since: sinceHours(HOURS),
              limit: PAGE,
              offset,
              trend_bucket: '30 minutes',
              ...(search === '' ? {} : { search }),
              ...(status === '' ? {} : { status: status as Exclude<(typeof STATUSES)[number], ''> })
            }
          }
        })
      ),
    [search, status, offset],
    ['anomaly', 'recovery_action']
  )
  return (
    <div class="panel-grid">
      <Section title={`Components, last ${HOURS} hours`} busy={page.pending}>
        <form
          class="filters"
          role="search"
          onSubmit={event => {
            event.preventDefault()
            typed.now(draft)
          }}
        >
          <label>
            Search
            <input
              type="search"
              value={draft}
              placeholder="component name"
              onInput={event => {
                setDraft(event.currentTarget.value)
                typed.later(event.currentTarget.value)
              }}
            />
          </label>
          <label>
            Status
            <select
              value={status}
              onChange={event => {
                setStatus(event.currentTarget.value)
                setOffset(0)
              }}
            >
              {STATUSES.map(value => (
                <option value={value}>{value === '' ? 'any' : value}</option>
              ))}
            </select>
          </label>
          <span class="muted" aria-live="polite">
            {page.data === undefined || page.pending
              ? ''
              : `${page.data.total} ${page.data.total === 1 ? 'component' : 'components'}`}
          </span>
        </form>
        <Notice error={page.error} onRetry={page.reload} />
        {page.data !== undefined && page.data.items.length === 0 && (
          <Empty>
            {search === '' && status === ''
              ? `No component reported health in the last ${HOURS} hours.`
              : 'No component matches the search and status.'}
          </Empty>
        )}
        {page.data !== undefined && page.data.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Component</th>
                <th scope="col">Status</th>
                <th scope="col">Latency p95</th>
                <th scope="col">Errors</th>
                <th scope="col">CPU / memory</th>
                <th scope="col">Availability</th>
                <th scope="col">Last event</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map(row => (
                <tr key={`${row.organization_id ?? ''}/${row.component_type}/${row.component_name}`}>
                  <th scope="row">
                    <a href={componentHref(caller, row.component_name, row.organization_id)}>{row.component_name}</a>
                    <div class="muted small">
                      {row.component_type} <Organization caller={caller} id={row.organization_id} />
                    </div>
                  </th>
                  <td>
                    <Badge value={row.status} />
                  </td>
                  <td>
                    {num(row.max_latency_p95_ms, 0, ' ms')}
                    <Sparkline values={row.trend?.latency_p95_ms ?? []} label="latency p95" />
                  </td>
                  <td>
                    {num(row.avg_error_rate, 2, ' %')}
                    <Sparkline values={row.trend?.error_rate ?? []} label="error rate" />
                  </td>
                  <td>
                    {num(row.avg_cpu_usage_percent, 0, ' %')} / {num(row.avg_memory_usage_percent, 0, ' %')}
                    <Sparkline values={row.trend?.cpu_usage_percent ?? []} label="CPU use" />
                  </td>
                  <td>{num(row.avg_availability_percentage, 2, ' %')}</td>
                  <td>
                    <When at={row.last_event_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {page.data !== undefined && page.data.total > PAGE && (
          <nav class="pager" aria-label="Component pages">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Previous
            </button>
            <span>
              {offset + 1}–{Math.min(offset + PAGE, page.data.total)} of {page.data.total}
            </span>
            <button type="button" disabled={offset + PAGE >= page.data.total} onClick={() => setOffset(offset + PAGE)}>
              Next
            </button>
          </nav>
        )}
      </Section>
      <PredictiveAlerts caller={caller} />
      <DecisionFeed title="What changed recently" limit={8} />
    </div>
  )
}
