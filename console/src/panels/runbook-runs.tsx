// Runbooks: the organization's runbook runs (50 a page by the API's cursor, filtered by status) and one
// run's steps with the action each acted through and what its verification saw. Read-only: the
// engine drives runs. The stream has no runbook topic; a run moves when its step's recovery
// action does, so the views reload on recovery_action events.
import { useState } from 'preact/hooks'
import { api, call, type components } from '../api'
import { useCursorPages, useResource } from '../hooks'
import { Badge, CursorPager, Empty, Notice, Section, When, reveal } from '../ui'

type Run = components['schemas']['RunbookRun']
type Step = components['schemas']['RunbookRunDetail']['steps'][number]
const PAGE = 50
const TOPICS = ['recovery_action']
// The API's statuses; the Record turns one it adds into a type error here rather than a missing filter.
const STATUS_SET: Record<Run['status'], true> = {
  running: true,
  rolling_back: true,
  succeeded: true,
  failed: true,
  stopped: true,
  escalated: true,
  rolled_back: true,
  held: true,
  dry_run: true
}
const STATUSES = Object.keys(STATUS_SET) as Array<Run['status']>

const runLabel = (run: Run) => `${run.runbook_name}@${run.runbook_version}`

function Verification({ step }: { step: Step }) {
  const { verification } = step
  if (verification === null) return <span class="muted">–</span>
  const passed = verification.passed === true
  const reason = typeof verification.reason === 'string' ? verification.reason : ''
  return (
    <>
      <Badge value={passed ? 'passed' : 'failed'} />
      {reason === '' ? null : <div class="muted small">{reason}</div>}
    </>
  )
}

function RunDetail({ id }: { id: string }) {
  const run = useResource(
    async () => await call(api.GET('/v1/runbook-runs/{id}', { params: { path: { id } } })),
    [id],
    TOPICS
  )
  const data = run.data
  return (
    <Section title="Run steps" busy={run.pending}>
      <Notice error={run.error} onRetry={run.reload} />
      {data !== undefined && (
        <>
          <p>
            {runLabel(data)} on <strong>{data.component_name}</strong>: <Badge value={data.status} />
            {data.outcome === null ? '' : ` (${data.outcome})`}
          </p>
          {data.steps.length === 0 ? (
            <Empty>No step has started yet.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Action</th>
                  <th scope="col">Status</th>
                  <th scope="col">Action status</th>
                  <th scope="col">Verification</th>
                  <th scope="col">Started</th>
                </tr>
              </thead>
              <tbody>
                {data.steps.map(step => (
                  <tr key={step.step_index}>
                    <th scope="row">
                      {step.step_index + 1}. {step.name ?? step.action_type.replace(/_/g, ' ')}
                    </th>
                    <td>
                      <code>{step.action_type}</code>
                    </td>
                    <td>
                      <Badge value={step.status} />
                    </td>
                    <td>
                      {step.action_status === null ? (
                        <span class="muted">–</span>
                      ) : (
                        <Badge value={step.action_status} />
                      )}
                    </td>
                    <td>
                      <Verification step={step} />
                    </td>
                    <td>
                      <When at={step.started_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </Section>
  )
}

export function RunbookRuns() {
  const [status, setStatus] = useState<Run['status'] | ''>('')
  const [selected, setSelected] = useState<string | null>(null)
  const pages = useCursorPages()
  const { cursor } = pages
  const list = useResource(
    async () =>
      await call(
        api.GET('/v1/runbook-runs', {
          params: {
            query: {
              limit: PAGE,
              ...(cursor === undefined ? {} : { cursor }),
              ...(status === '' ? {} : { status })
            }
          }
        })
      ),
    [status, cursor],
    TOPICS
  )
  const items = list.data?.items ?? []
  return (
    <>
      <Section title="Runbook runs" busy={list.pending}>
        <form class="filters" role="search" onSubmit={event => event.preventDefault()}>
          <label>
            Status
            <select
              value={status}
              onChange={event => {
                setStatus(event.currentTarget.value as Run['status'] | '')
                pages.reset()
              }}
            >
              <option value="">any</option>
              {STATUSES.map(value => (
                <option key={value} value={value}>
                  {value.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </label>
        </form>
        <Notice error={list.error} onRetry={list.reload} />
        {list.data !== undefined && items.length === 0 && <Empty>No runbook runs.</Empty>}
        {items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Runbook</th>
                <th scope="col">Component</th>
                <th scope="col">Status</th>
                <th scope="col">Current step</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {items.map(run => (
                <tr key={run.id} class={run.id === selected ? 'selected' : ''}>
                  <th scope="row">
                    <button
                      type="button"
                      class="link"
                      aria-pressed={run.id === selected}
                      onClick={() => {
                        setSelected(run.id)
                        reveal('Run steps')
                      }}
                    >
                      {runLabel(run)}
                    </button>
                  </th>
                  <td class="text">{run.component_name}</td>
                  <td>
                    <Badge value={run.status} />
                  </td>
                  <td>{run.current_step + 1}</td>
                  <td>
                    <When at={run.created_at} />
                  </td>
                  <td>
                    {run.finished_at === null ? <span class="muted">not yet</span> : <When at={run.finished_at} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <CursorPager label="Run pages" pages={pages} next={list.data?.next_cursor} />
      </Section>
      {selected === null ? (
        <Section title="Run steps">
          <Empty>Choose a run to see its steps.</Empty>
        </Section>
      ) : (
        <RunDetail key={selected} id={selected} />
      )}
    </>
  )
}
