// AnomalyConsole: open and recent signals (filtered and paged by the service), one signal's
// baseline against what was observed, its pattern, root cause and the evidence it cites, its
// correlated signals, and the workflow: acknowledge, resolve, false positive, with notes;
// silence from a signal where the service has silences.
import { useState } from 'preact/hooks'
import { ApiError, api, call, type components } from '../api'
import { componentHref } from '../component-route'
import { useCursorPages, useResource } from '../hooks'
import type { Who } from '../session'
import { Badge, ComponentNameFilter, CursorPager, Empty, Notice, Organization, Section, When, num, reveal } from '../ui'
import { SilenceForm } from './silence-form'

type Anomaly = components['schemas']['Anomaly']
type Status = components['schemas']['AnomalyStatusUpdate']['status']
const STATUSES = ['', 'open', 'acknowledged', 'investigating', 'resolved', 'false_positive'] as const
const SEVERITIES = ['', 'critical', 'high', 'medium', 'low'] as const
const PAGE = 25

function evidenceOf(signal: Anomaly): string[] {
  const analysis = (signal.metadata as { analysis?: { evidence?: unknown } } | null)?.analysis
  const evidence = analysis?.evidence
  return Array.isArray(evidence) ? evidence.map(item => (typeof item === 'string' ? item : JSON.stringify(item))) : []
}

function Workflow({ signal, caller, onDone }: { signal: Anomaly; caller: Who; onDone: () => void }) {
  const [notes, setNotes] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  if (caller.kind === 'service') return <p class="muted">The service role reads the console only.</p>
  const move = async (status: Status) => {
    setBusy(true)
    setError(null)
    try {
      await call(
        api.PATCH('/v1/anomalies/{id}', {
          params: { path: { id: signal.id } },
          body: { status, ...(notes.trim() === '' ? {} : { resolution_notes: notes.trim() }) }
        })
      )
      setNotes('')
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err))
    } finally {
      setBusy(false)
      onDone()
    }
  }
  const closed = signal.status === 'resolved' || signal.status === 'false_positive'
  return (
    <div class="workflow">
      <label for={`notes-${signal.id}`}>Notes</label>
      <textarea
        id={`notes-${signal.id}`}
        rows={2}
        value={notes}
        onInput={event => setNotes(event.currentTarget.value)}
      />
      <div class="buttons">
        <button type="button" disabled={busy || signal.status !== 'open'} onClick={() => void move('acknowledged')}>
          Acknowledge
        </button>
        <button type="button" disabled={busy || closed} onClick={() => void move('resolved')}>
          Resolve
        </button>
        <button type="button" disabled={busy || closed} onClick={() => void move('false_positive')}>
          False positive
        </button>
      </div>
      {signal.source_component_name !== null && (
        <div class="silence">
          <SilenceForm component={signal.source_component_name} anomalyType={signal.anomaly_type} caller={caller} />
        </div>
      )}
      <Notice error={error} />
    </div>
  )
}

function Detail({ id, caller, onChanged }: { id: string; caller: Who; onChanged: () => void }) {
  const signal = useResource(
    async () => await call(api.GET('/v1/anomalies/{id}', { params: { path: { id } } })),
    [id],
    ['anomaly']
  )
  const correlated = useResource(
    async () => await call(api.GET('/v1/anomalies/{id}/correlated', { params: { path: { id } } })),
    [id],
    ['anomaly']
  )
  const s = signal.data
  return (
    <Section title="Signal" busy={signal.pending}>
      <Notice error={signal.error} onRetry={signal.reload} />
      {s !== undefined && (
        <>
          <p>
            <Badge value={s.severity} /> <Badge value={s.status} /> <strong>{s.anomaly_type.replace(/_/g, ' ')}</strong>{' '}
            on{' '}
            {s.source_component_name === null ? (
              'no component'
            ) : (
              <a href={componentHref(caller, s.source_component_name, s.organization_id)}>{s.source_component_name}</a>
            )}
            <Organization caller={caller} id={s.organization_id} />
          </p>
          <dl class="pairs">
            <dt>Baseline → observed</dt>
            <dd>
              {num(s.baseline_value)} → {num(s.observed_value)} ({num(s.deviation_percentage, 0, ' %')})
            </dd>
            <dt>Pattern</dt>
            <dd>{s.pattern_type?.replace(/_/g, ' ') ?? '–'}</dd>
            <dt>Detected</dt>
            <dd>
              <When at={s.detection_timestamp} /> by {s.detection_method ?? 'a service'}
            </dd>
            <dt>Confidence</dt>
            <dd>{num(s.confidence_score, 2)}</dd>
          </dl>
          <h3>Root cause</h3>
          <p>{s.root_cause_analysis ?? s.anomaly_description ?? 'No analysis yet.'}</p>
          {evidenceOf(s).length > 0 && (
            <>
              <h3>Evidence cited</h3>
              <ul>
                {evidenceOf(s).map(item => (
                  <li key={item}>{item}</li>
                ))}
              </ul>
            </>
          )}
          <h3>Correlated signals</h3>
          <Notice error={correlated.error} onRetry={correlated.reload} />
          {correlated.pending && <p class="muted">Loading…</p>}
          {correlated.data?.length === 0 && <Empty>None within the window.</Empty>}
          <ul class="feed">
            {correlated.data?.map(other => (
              <li key={other.id}>
                <Badge value={other.severity} /> {other.anomaly_type.replace(/_/g, ' ')} on{' '}
                {other.source_component_name ?? '–'}: {other.correlation_reason.replace(/_/g, ' ')}
              </li>
            ))}
          </ul>
          <Workflow
            signal={s}
            caller={caller}
            onDone={() => {
              signal.reload()
              onChanged()
            }}
          />
        </>
      )}
    </Section>
  )
}

export function AnomalyConsole({ caller }: { caller: Who }) {
  const [status, setStatus] = useState('open')
  const [severity, setSeverity] = useState('')
  const [component, setComponent] = useState('')
  const pages = useCursorPages()
  const [selected, setSelected] = useState<string | null>(null)
  const { cursor } = pages
  const list = useResource(
    async () =>
      await call(
        api.GET('/v1/anomalies', {
          params: {
            query: {
              limit: PAGE,
              ...(cursor === undefined ? {} : { cursor }),
              ...(status === '' ? {} : { status: status as Status }),
              ...(severity === '' ? {} : { severity: severity as Anomaly['severity'] }),
              ...(component === '' ? {} : { source_component_name: component })
            }
          }
        })
      ),
    [status, severity, component, cursor],
    ['anomaly']
  )
  const filter = (set: (value: string) => void) => (event: { currentTarget: { value: string } }) => {
    set(event.currentTarget.value)
    pages.reset()
  }
  return (
    <div class="split">
      <Section title="Signals" busy={list.pending}>
        <form class="filters" role="search" onSubmit={event => event.preventDefault()}>
          <label>
            Status
            <select value={status} onChange={filter(setStatus)}>
              {STATUSES.map(value => (
                <option value={value}>{value === '' ? 'any' : value.replace(/_/g, ' ')}</option>
              ))}
            </select>
          </label>
          <label>
            Severity
            <select value={severity} onChange={filter(setSeverity)}>
              {SEVERITIES.map(value => (
                <option value={value}>{value === '' ? 'any' : value}</option>
              ))}
            </select>
          </label>
          <ComponentNameFilter
            onApply={name => {
              setComponent(name)
              pages.reset()
            }}
          />
        </form>
        <Notice error={list.error} onRetry={list.reload} />
        {list.data?.items.length === 0 && (
          <Empty>
            {status === 'open' && severity === '' && component === ''
              ? 'No open signals: nothing needs attention.'
              : 'No signals match these filters.'}
          </Empty>
        )}
        {list.data !== undefined && list.data.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Signal</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Observed (baseline)</th>
                <th scope="col">Detected</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map(signal => (
                <tr key={signal.id} class={signal.id === selected ? 'selected' : ''}>
                  <th scope="row">
                    <button
                      type="button"
                      class="link"
                      aria-pressed={signal.id === selected}
                      onClick={() => {
                        setSelected(signal.id)
                        reveal('Signal')
                      }}
                    >
                      {signal.anomaly_type.replace(/_/g, ' ')} · {signal.source_component_name ?? '–'}
                    </button>
                    <Organization caller={caller} id={signal.organization_id} />
                    {signal.pattern_type === null ? null : (
                      <div class="muted small">{signal.pattern_type.replace(/_/g, ' ')}</div>
                    )}
                  </th>
                  <td>
                    <Badge value={signal.severity} />
                  </td>
                  <td>
                    <Badge value={signal.status} />
                  </td>
                  <td>
                    {num(signal.observed_value)} ({num(signal.baseline_value)})
                  </td>
                  <td>
                    <When at={signal.detection_timestamp} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <CursorPager label="Signal pages" pages={pages} next={list.data?.next_cursor} />
      </Section>
      {selected === null ? (
        <Section title="Signal">
          <Empty>Choose a signal to see its analysis and act on it.</Empty>
        </Section>
      ) : (
        // Keyed: another signal's notes, messages and data must never show (or be acted on) under this one.
        <Detail key={selected} id={selected} caller={caller} onChanged={list.reload} />
      )}
    </div>
  )
}
