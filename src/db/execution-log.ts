// What the health monitor measures in execution_log: one window, aggregated in PostgreSQL
// (percentiles with percentile_cont, rates, error types) so a window of a hundred thousand
// calls comes back as one row per function and integration, never as the calls themselves.
// The window is a range on created_at, served by execution_log_created_at_idx. A component is
// (organization, name): two organizations' functions of one name are two components.
import type { Tx } from './client.js'

export interface MeasurementWindow {
  start: Date
  end: Date
  seconds: number
}

export type ExecutionComponentType = 'edge_function' | 'integration'

export interface ExecutionAggregate {
  organization_id: string | null
  component_type: ExecutionComponentType
  component_name: string
  calls: number
  successes: number
  errors: number
  timeouts: number
  retries: number
  latency_ms: number | null
  latency_p50_ms: number | null
  latency_p95_ms: number | null
  latency_p99_ms: number | null
  throughput_per_minute: number
  error_rate: number
  availability_percentage: number
  error_types: Record<string, number>
  last_error_message: string | null
  last_error_timestamp: Date | null
}

/** The last `minutes` up to the database's now(), the clock execution_log.created_at uses. */
export async function measurementWindow(tx: Tx, minutes: number): Promise<MeasurementWindow> {
  const [row] = await tx<MeasurementWindow[]>`
    select now() - make_interval(mins => ${minutes}::int) as start, now() as "end", ${minutes}::int * 60 as seconds`
  return row as MeasurementWindow
}

type Measures = Omit<ExecutionAggregate, 'error_types' | 'last_error_message' | 'last_error_timestamp'>
type Failures = Pick<
  ExecutionAggregate,
  | 'organization_id'
  | 'component_type'
  | 'component_name'
  | 'error_types'
  | 'last_error_message'
  | 'last_error_timestamp'
>

// Each call counts for its function and, when it names one, for its integration: the same
// grouped select once per kind of component, glued with union all. Two narrow scans of the
// window beat fanning every call out into two rows. Grouping by the "C" collation sorts names
// bytewise, which is all grouping needs and much cheaper than the locale's order.
function perComponent(
  tx: Tx,
  window: MeasurementWindow,
  componentName: string | undefined,
  aggregates: ReturnType<Tx>
) {
  const part = (type: ExecutionComponentType, column: 'function_name' | 'integration_name') => tx`
    select l.organization_id, ${type}::text as component_type, l.${tx(column)} collate "C" as component_name, ${aggregates}
    from execution_log l
    where l.created_at >= ${window.start} and l.created_at < ${window.end}
      and l.${tx(column)} is not null
      ${componentName === undefined ? tx`` : tx`and l.${tx(column)} = ${componentName}`}
    group by 1, 3`
  return tx`${part('edge_function', 'function_name')} union all ${part('integration', 'integration_name')}`
}

/**
 * One row per function (component_type edge_function) and per integration named by the calls,
 * over [start, end). A failure is any status but success; its type is metadata.error_type when
 * the caller recorded one, else the status (error, timeout). With `componentName`, only the
 * function or integration of that name. The failures (a few percent of calls) are read by a
 * second query, so the big aggregate carries no message text through its sort.
 */
export async function aggregateWindow(
  tx: Tx,
  window: MeasurementWindow,
  componentName?: string
): Promise<ExecutionAggregate[]> {
  const minutes = window.seconds / 60
  const measures = await tx<Measures[]>`
    select organization_id, component_type, component_name, calls, successes, errors, timeouts, retries,
      round(mean, 3) as latency_ms,
      round(percentiles[1]::numeric, 3) as latency_p50_ms,
      round(percentiles[2]::numeric, 3) as latency_p95_ms,
      round(percentiles[3]::numeric, 3) as latency_p99_ms,
      round(calls / ${minutes}::numeric, 3) as throughput_per_minute,
      round(100.0 * errors / calls, 3) as error_rate,
      round(100.0 * successes / calls, 3) as availability_percentage
    from (${perComponent(
      tx,
      window,
      componentName,
      tx`
      count(*)::int as calls,
      (count(*) filter (where l.status = 'success'))::int as successes,
      (count(*) filter (where l.status <> 'success'))::int as errors,
      (count(*) filter (where l.status = 'timeout'))::int as timeouts,
      coalesce(sum(l.retry_count), 0)::int as retries,
      avg(l.duration_ms) as mean,
      percentile_cont(array[0.5, 0.95, 0.99]) within group (order by l.duration_ms::float8) as percentiles`
    )}) grouped
    order by component_type, component_name, organization_id`
  if (measures.every(row => row.errors === 0))
    return measures.map(row => ({ ...row, error_types: {}, last_error_message: null, last_error_timestamp: null }))

  // Few rows: here each failure is simply fanned out to its function and its integration.
  const failures = await tx<Failures[]>`
    select organization_id, component_type, component_name, jsonb_object_agg(error_type, n) as error_types,
      (array_agg(last_message order by last_at desc))[1] as last_error_message, max(last_at) as last_error_timestamp
    from (
      select l.organization_id, c.component_type, c.component_name,
        left(coalesce(nullif(l.metadata->>'error_type', ''), l.status), 100) as error_type,
        count(*)::int as n,
        max(l.created_at) as last_at,
        (array_agg(l.error_message order by l.created_at desc))[1] as last_message
      from execution_log l
      cross join lateral (values ('edge_function', l.function_name), ('integration', l.integration_name)) as c(component_type, component_name)
      where l.created_at >= ${window.start} and l.created_at < ${window.end}
        and l.status <> 'success' and c.component_name is not null
        ${componentName === undefined ? tx`` : tx`and c.component_name = ${componentName}`}
      group by 1, 2, 3, 4
    ) by_type
    group by organization_id, component_type, component_name`
  const keyOf = (row: Failures | Measures): string =>
    `${row.organization_id ?? ''}/${row.component_type}/${row.component_name}`
  const byComponent = new Map(failures.map(row => [keyOf(row), row]))
  return measures.map(row => {
    const failed = byComponent.get(keyOf(row))
    return {
      ...row,
      error_types: failed?.error_types ?? {},
      last_error_message: failed?.last_error_message ?? null,
      last_error_timestamp: failed?.last_error_timestamp ?? null
    }
  })
}
