// SelfTestPanel: the registered self-tests with their schedules and last results, pass rate
// and scores over the last days, regressions against their baselines, and run now.
import { useState } from 'preact/hooks'
import { ApiError, api, call, type components } from '../api'
import { useResource } from '../hooks'
import type { Who } from '../session'
import { Badge, Empty, Notice, Section, Sparkline, When, num } from '../ui'

const DAYS = 7
type TestName = NonNullable<components['schemas']['SelftestRunInput']['test_names']>[number]

export function SelfTestPanel({ caller }: { caller: Who }) {
  const catalog = useResource(async () => await call(api.GET('/v1/selftests/catalog')), [], ['selftest'])
  const trends = useResource(
    async () =>
      await call(
        api.GET('/v1/selftests/trends', {
          params: { query: { since: new Date(Date.now() - DAYS * 86400_000).toISOString(), bucket: '6 hours' } }
        })
      ),
    [],
    ['selftest']
  )
  const regressions = useResource(
    async () => await call(api.GET('/v1/selftests', { params: { query: { regression_detected: true, limit: 10 } } })),
    [],
    ['selftest']
  )
  const [running, setRunning] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const run = (names: TestName[] | undefined, label: string) => {
    setRunning(label)
    setError(null)
    call(api.POST('/v1/selftests/run', { body: names === undefined ? {} : { test_names: names } }))
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)))
      .finally(() => {
        setRunning(null)
        catalog.reload()
        trends.reload()
        regressions.reload()
      })
  }
  const series = (name: string, pick: 'pass_rate' | 'avg_health_score') =>
    (trends.data ?? []).filter(trend => trend.test_name === name).map(trend => trend[pick])
  // The period's pass rate, each bucket weighed by its runs: a chart alone says nothing until it has two buckets.
  const passRate = (name: string): number | null => {
    const buckets = (trends.data ?? []).filter(trend => trend.test_name === name && trend.pass_rate !== null)
    const runs = buckets.reduce((sum, trend) => sum + trend.run_count, 0)
    return runs === 0 ? null : buckets.reduce((sum, trend) => sum + (trend.pass_rate ?? 0) * trend.run_count, 0) / runs
  }
  const canRun = caller.kind === 'admin'

  return (
    <div class="panel-grid">
      <Section
        title="Catalog"
        busy={catalog.pending || trends.pending}
        actions={
          canRun && (
            <button type="button" disabled={running !== null} onClick={() => run(undefined, 'all')}>
              {running === 'all' ? 'Running all…' : 'Run all now'}
            </button>
          )
        }
      >
        <Notice
          error={catalog.error ?? trends.error ?? error}
          onRetry={() => {
            catalog.reload()
            trends.reload()
          }}
        />
        {catalog.data?.length === 0 && <Empty>No self-tests registered.</Empty>}
        {catalog.data !== undefined && catalog.data.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Test</th>
                <th scope="col">Schedule</th>
                <th scope="col">Last result</th>
                <th scope="col">Pass rate, {DAYS} days</th>
                <th scope="col">Health score</th>
                {canRun && <th scope="col">Run</th>}
              </tr>
            </thead>
            <tbody>
              {catalog.data.map(test => (
                <tr key={test.test_name}>
                  <th scope="row">
                    {test.test_name}
                    <div class="muted small">{test.test_description ?? test.test_category}</div>
                  </th>
                  <td>
                    <code class="nowrap">{test.schedule ?? 'on demand'}</code>
                  </td>
                  <td>
                    {test.last_result === null ? (
                      <span class="muted">not run yet</span>
                    ) : (
                      <>
                        <Badge value={test.last_result.test_result ?? test.last_result.execution_status} />{' '}
                        <When at={test.last_result.completed_at ?? test.last_result.created_at} />
                        {test.last_result.regression_detected && <Badge value="regression" />}
                      </>
                    )}
                  </td>
                  <td>
                    {num(passRate(test.test_name), 0, ' %')}
                    <Sparkline values={series(test.test_name, 'pass_rate')} label={`${test.test_name} pass rate`} />
                  </td>
                  <td>
                    {num(test.last_result?.health_score, 0)}
                    <Sparkline
                      values={series(test.test_name, 'avg_health_score')}
                      label={`${test.test_name} health score`}
                    />
                  </td>
                  {canRun && (
                    <td>
                      <button
                        type="button"
                        disabled={running !== null}
                        onClick={() => run([test.test_name as TestName], test.test_name)}
                      >
                        {running === test.test_name ? 'Running…' : 'Run now'}
                        <span class="sr-only"> {test.test_name}</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Regressions against baselines" busy={regressions.pending}>
        <Notice error={regressions.error} onRetry={regressions.reload} />
        {regressions.data?.items.length === 0 && <Empty>No regressions recorded.</Empty>}
        <ul class="feed">
          {regressions.data?.items.map(result => (
            <li key={result.id}>
              <Badge value="regression" /> {result.test_name}: {num(result.baseline_deviation_percentage, 0, ' %')} from
              baseline <When at={result.created_at} />
              {result.failure_reason === null ? null : <div class="muted small">{result.failure_reason}</div>}
            </li>
          ))}
        </ul>
      </Section>
    </div>
  )
}
