// SilenceForm: silence one signal's component and anomaly type for a while, from the signal.
// Only admins create silences (the service refuses members), so a member sees why the
// button is disabled instead of a 403 after filling the form in.
import { useState } from 'preact/hooks'
import { ApiError, api, call } from '../api'
import type { Who } from '../session'
import { Notice } from '../ui'

const PRESETS = [
  { value: '1', label: '1 hour' },
  { value: '4', label: '4 hours' },
  { value: '24', label: '24 hours' },
  { value: 'until', label: 'Until a time' }
] as const

function endOf(preset: string, until: string): string | null {
  if (preset !== 'until') return new Date(Date.now() + Number(preset) * 3_600_000).toISOString()
  const end = new Date(until)
  return Number.isNaN(end.getTime()) ? null : end.toISOString()
}

export function SilenceForm({
  component,
  anomalyType,
  caller
}: {
  component: string
  anomalyType: string
  caller: Who
}) {
  const [open, setOpen] = useState(false)
  const [preset, setPreset] = useState('1')
  const [until, setUntil] = useState('')
  const [comment, setComment] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [created, setCreated] = useState<string | null>(null)
  if (caller.kind !== 'admin')
    return (
      <>
        <button type="button" disabled aria-describedby="silence-reason">
          Silence…
        </button>
        <p id="silence-reason" class="muted small">
          Only admins silence signals.
        </p>
      </>
    )
  const matchers = [
    { name: 'component_name', value: component },
    { name: 'anomaly_type', value: anomalyType }
  ]
  const submit = async () => {
    const endsAt = endOf(preset, until)
    if (endsAt === null) {
      setError('Choose an end time.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      const silence = await call(
        api.POST('/v1/silences', { body: { matchers, ends_at: endsAt, comment: comment.trim() } })
      )
      setCreated(silence.ends_at)
      setComment('')
      setOpen(false)
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <button type="button" aria-expanded={open} aria-controls="silence-form" onClick={() => setOpen(!open)}>
        Silence…
      </button>
      {created !== null && (
        <p role="status">
          Silenced until {new Date(created).toLocaleString()}. <a href="#/silences">See silences</a>
        </p>
      )}
      {open && (
        <form
          id="silence-form"
          class="silence-form"
          aria-label="Silence this signal"
          onSubmit={event => {
            event.preventDefault()
            void submit()
          }}
        >
          <p class="small">
            Matchers:{' '}
            {matchers.map(matcher => (
              <code key={matcher.name}>
                {matcher.name}={matcher.value}{' '}
              </code>
            ))}
          </p>
          <fieldset disabled={busy}>
            <legend>Duration</legend>
            {PRESETS.map(option => (
              <label key={option.value}>
                <input
                  type="radio"
                  name="silence-duration"
                  value={option.value}
                  checked={preset === option.value}
                  onChange={() => setPreset(option.value)}
                />{' '}
                {option.label}
              </label>
            ))}
            {preset === 'until' && (
              <>
                <label for="silence-until">End time</label>
                <input
                  id="silence-until"
                  type="datetime-local"
                  required
                  value={until}
                  onInput={event => setUntil(event.currentTarget.value)}
                />
              </>
            )}
          </fieldset>
          <label for="silence-comment">Comment (why)</label>
          <textarea
            id="silence-comment"
            rows={2}
            required
            value={comment}
            onInput={event => setComment(event.currentTarget.value)}
          />
          <div class="buttons">
            <button type="submit" disabled={busy || comment.trim() === ''}>
              Create silence
            </button>
          </div>
          <Notice error={error} />
        </form>
      )}
    </>
  )
}
