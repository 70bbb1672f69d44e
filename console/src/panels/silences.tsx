// Silences: the organization's active and pending silences (filtered by the service, 50 a page
// by the API's cursor), with their matchers, author, comment, window and recurrence; an admin
// expires one early. The
// stream carries no silence topic, so the lists reload after each expiry and on reconnection.
import { useState } from 'preact/hooks'
import { ApiError, api, call, type components } from '../api'
import { useCursorPages, useResource } from '../hooks'
import type { Who } from '../session'
import { ComponentNameFilter, CursorPager, Empty, Notice, Section, When } from '../ui'

type Silence = components['schemas']['Silence']
type State = 'active' | 'pending'
const PAGE = 50
const TABLES: Array<{ state: State; title: string }> = [
  { state: 'active', title: 'Active silences' },
  { state: 'pending', title: 'Pending silences' }
]

function matcherText(matcher: Silence['matchers'][number]): string {
  const operator = `${matcher.is_equal ? '' : '!'}${matcher.is_regex ? '~' : '='}`
  return `${matcher.name}${operator}${matcher.value}`
}

function recurrenceText(recurrence: Silence['recurrence']): string {
  if (recurrence === null) return 'once'
  const rule = recurrence.cron ?? recurrence.rrule ?? ''
  return `${rule}, ${recurrence.duration_minutes} min (${recurrence.time_zone})`
}

function SilenceTable({
  state,
  title,
  component,
  caller,
  changed,
  onChanged
}: {
  state: State
  title: string
  component: string
  caller: Who
  changed: number
  onChanged: () => void
}) {
  const pages = useCursorPages()
  const { cursor } = pages
  const list = useResource(
    async () =>
      await call(
        api.GET('/v1/silences', {
          params: {
            query: {
              state,
              limit: PAGE,
              ...(cursor === undefined ? {} : { cursor }),
              ...(component === '' ? {} : { component_name: component })
            }
          }
        })
      ),
    [state, component, changed, cursor],
    []
  )
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const expire = async (id: string) => {
    setBusy(id)
    setError(null)
    try {
      await call(api.DELETE('/v1/silences/{id}', { params: { path: { id } } }))
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err))
    } finally {
      setBusy(null)
      onChanged()
    }
  }
  const items = list.data?.items ?? []
  return (
    <Section title={title} busy={list.pending}>
      <Notice error={list.error ?? error} onRetry={list.reload} />
      {list.data !== undefined && items.length === 0 && (
        <Empty>{component === '' ? `No ${state} silences.` : `No ${state} silences for ${component}.`}</Empty>
      )}
      {items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Matchers</th>
              <th scope="col">Comment</th>
              <th scope="col">By</th>
              <th scope="col">Starts</th>
              <th scope="col">Ends</th>
              <th scope="col">Recurrence</th>
              {caller.kind === 'admin' && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {items.map(silence => (
              <tr key={silence.id}>
                <th scope="row">
                  {silence.matchers.map(matcher => (
                    <div key={matcherText(matcher)}>
                      <code>{matcherText(matcher)}</code>
                    </div>
                  ))}
                </th>
                <td class="text">{silence.comment}</td>
                <td class="text">{silence.created_by ?? 'service'}</td>
                <td>
                  <When at={silence.starts_at} />
                </td>
                <td>
                  <When at={silence.ends_at} />
                </td>
                <td>{recurrenceText(silence.recurrence)}</td>
                {caller.kind === 'admin' && (
                  <td>
                    <button
                      type="button"
                      disabled={busy !== null}
                      aria-label={`Expire silence: ${silence.comment}`}
                      onClick={() => void expire(silence.id)}
                    >
                      Expire
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CursorPager label={`${title}: pages`} pages={pages} next={list.data?.next_cursor} />
    </Section>
  )
}

export function SilencesPanel({ caller }: { caller: Who }) {
  const [component, setComponent] = useState('')
  const [changed, setChanged] = useState(0)
  const onChanged = () => setChanged(count => count + 1)
  return (
    <>
      <form class="filters" role="search" onSubmit={event => event.preventDefault()}>
        <ComponentNameFilter onApply={setComponent} />
      </form>
      {caller.kind !== 'admin' && (
        <p class="muted">
          {caller.kind === 'service'
            ? 'The service role reads the console only.'
            : 'Only admins create and expire silences.'}
        </p>
      )}
      {TABLES.map(({ state, title }) => (
        <SilenceTable
          key={`${state}/${component}`}
          state={state}
          title={title}
          component={component}
          caller={caller}
          changed={changed}
          onChanged={onChanged}
        />
      ))}
    </>
  )
}
