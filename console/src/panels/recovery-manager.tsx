// RecoveryManager: the healing mode switch with its reason, actions waiting for approval
// (approve or reject; the service refuses an admin approving their own request, four eyes),
// every action as a timeline with attempts, verification and effectiveness, rollback, and the
// escalations and decision trail behind them.
import { useState } from 'preact/hooks'
import { ApiError, api, call, type components } from '../api'
import { useCursorPages, useResource } from '../hooks'
import type { Who } from '../session'
import { DecisionFeed } from './decision-feed'
import { Badge, CursorPager, Empty, Notice, Organization, Section, When, num } from '../ui'

type Action = components['schemas']['RecoveryAction']
type Mode = components['schemas']['HealingModeInput']['mode']
const MODES: Array<{ mode: Mode; label: string }> = [
  { mode: 'auto', label: 'Auto' },
  { mode: 'dry_run', label: 'Dry run' },
  { mode: 'off', label: 'Off' }
]
const PAGE = 25

function useAct(after: () => void): {
  busy: boolean
  error: string | null
  act: (work: () => Promise<unknown>) => void
} {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  return {
    busy,
    error,
    act: work => {
      setBusy(true)
      setError(null)
      work()
        .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)))
        .finally(() => {
          setBusy(false)
          after()
        })
    }
  }
}

function ModeSwitch({ caller }: { caller: Who }) {
  const mode = useResource(async () => await call(api.GET('/v1/self-healing/mode')), [], ['healing_mode'])
  const [reason, setReason] = useState('')
  const { busy, error, act } = useAct(mode.reload)
  const current = mode.data?.mode
  return (
    <Section title="Healing mode" busy={mode.pending}>
      <Notice error={mode.error ?? error} onRetry={mode.reload} />
      {mode.data !== undefined && (
        <p>
          Now <Badge value={mode.data.mode} />
          {mode.data.reason === null ? '' : ` because “${mode.data.reason}”`}, set <When at={mode.data.updated_at} />.
        </p>
      )}
      {caller.kind === 'admin' ? (
        <fieldset class="mode" disabled={busy || current === undefined}>
          <legend>Switch automatic healing</legend>
          <label for="mode-reason">Reason</label>
          <input id="mode-reason" value={reason} onInput={event => setReason(event.currentTarget.value)} />
          <div class="buttons" role="group" aria-label="Mode">
            {MODES.map(({ mode: value, label }) => (
              <button
                type="button"
                key={value}
                aria-pressed={current === value}
                onClick={() =>
                  act(async () => {
                    await call(
                      api.PUT('/v1/self-healing/mode', {
                        body: { mode: value, ...(reason.trim() === '' ? {} : { reason: reason.trim() }) }
                      })
                    )
                    setReason('')
                  })
                }
              >
                {label}
              </button>
            ))}
          </div>
        </fieldset>
      ) : (
        <p class="muted">Only admins switch the mode.</p>
      )}
    </Section>
  )
}

function Pending({ caller }: { caller: Who }) {
  const pending = useResource(
    async () =>
      await call(
        api.GET('/v1/recovery-actions', { params: { query: { execution_status: 'pending_approval', limit: 50 } } })
      ),
    [],
    ['recovery_action']
  )
  const { busy, error, act } = useAct(pending.reload)
  const decide = (action: Action, verdict: 'approve' | 'reject') =>
    act(async () => {
      const params = { params: { path: { id: action.id } }, body: {} }
      await call(
        verdict === 'approve'
          ? api.POST('/v1/recovery-actions/{id}/approve', params)
          : api.POST('/v1/recovery-actions/{id}/reject', params)
      )
    })
  return (
    <Section title="Waiting for approval" busy={pending.pending}>
      <Notice error={pending.error ?? error} onRetry={pending.reload} />
      {pending.data?.items.length === 0 && <Empty>Nothing waits for approval.</Empty>}
      <ul class="feed">
        {pending.data?.items.map(action => {
          const own = action.triggered_by_user_id !== null && action.triggered_by_user_id === caller.userId
          return (
            <li key={action.id}>
              <strong>{action.action_type.replace(/_/g, ' ')}</strong> on {action.target_component_name ?? '–'}
              <Organization caller={caller} id={action.organization_id} />
              <div class="muted small">
                {action.trigger_reason ?? 'no reason given'} · expires <When at={action.approval_expires_at} />
              </div>
              {caller.kind === 'admin' && (
                <div class="buttons">
                  <button
                    type="button"
                    disabled={busy || own}
                    title={own ? 'You requested it: another admin must approve (four eyes)' : undefined}
                    onClick={() => decide(action, 'approve')}
                  >
                    Approve
                  </button>
                  <button type="button" disabled={busy} onClick={() => decide(action, 'reject')}>
                    Reject
                  </button>
                  {own && <span class="muted small">You requested it: another admin must approve.</span>}
                </div>
              )}
            </li>
          )
        })}
      </ul>
    </Section>
  )
}

function Timeline({ caller }: { caller: Who }) {
  const pages = useCursorPages()
  const { cursor } = pages
  const actions = useResource(
    async () =>
      await call(
        api.GET('/v1/recovery-actions', {
          params: { query: { limit: PAGE, ...(cursor === undefined ? {} : { cursor }) } }
        })
      ),
    [cursor],
    ['recovery_action']
  )
  // Only an action whose executor declares an inverse can be rolled back.
  const executors = useResource(async () => await call(api.GET('/v1/executors')), [], [])
  const reversible = new Set(
    (executors.data ?? []).filter(executor => executor.inverse != null).map(executor => executor.type)
  )
  const { busy, error, act } = useAct(actions.reload)
  return (
    <Section title="Actions" busy={actions.pending}>
      <Notice error={actions.error ?? error} onRetry={actions.reload} />
      {actions.data?.items.length === 0 && <Empty>No actions yet.</Empty>}
      <ol class="timeline">
        {actions.data?.items.map(action => (
          <li key={action.id}>
            <div>
              <Badge value={action.execution_status} /> <strong>{action.action_type.replace(/_/g, ' ')}</strong> on{' '}
              {action.target_component_name ?? '–'}
              <Organization caller={caller} id={action.organization_id} /> <When at={action.created_at} />
            </div>
            <div class="muted small">
              attempt {action.attempt_number} of {action.max_attempts} · verification{' '}
              {action.verification_status ?? '–'} · effectiveness {num(action.recovery_effectiveness_score, 0)} ·{' '}
              {action.trigger_type}
              {action.execution_error === null ? '' : ` · ${action.execution_error}`}
            </div>
            {caller.kind === 'admin' &&
              action.execution_status === 'succeeded' &&
              action.rollback_action_id === null &&
              reversible.has(action.action_type) && (
                <button
                  type="button"
                  disabled={busy}
                  onClick={() =>
                    act(
                      async () =>
                        await call(
                          api.POST('/v1/recovery-actions/{id}/rollback', {
                            params: { path: { id: action.id } },
                            body: { reason: 'rolled back from the console' }
                          })
                        )
                    )
                  }
                >
                  Roll back
                </button>
              )}
          </li>
        ))}
      </ol>
      <CursorPager label="Action pages" pages={pages} next={actions.data?.next_cursor} />
    </Section>
  )
}

function Escalations() {
  const escalations = useResource(
    async () => await call(api.GET('/v1/escalations', { params: { query: { limit: 10 } } })),
    [],
    ['escalation']
  )
  return (
    <Section title="Escalations" busy={escalations.pending}>
      <Notice error={escalations.error} onRetry={escalations.reload} />
      {escalations.data?.items.length === 0 && <Empty>No escalations.</Empty>}
      <ul class="feed">
        {escalations.data?.items.map(escalation => (
          <li key={escalation.id}>
            <Badge value={escalation.severity} /> <Badge value={escalation.status} /> {escalation.title}{' '}
            <When at={escalation.created_at} />
          </li>
        ))}
      </ul>
    </Section>
  )
}

export function RecoveryManager({ caller }: { caller: Who }) {
  return (
    <div class="panel-grid two">
      <ModeSwitch caller={caller} />
      <Pending caller={caller} />
      <Timeline caller={caller} />
      <div>
        <Escalations />
        <DecisionFeed title="Decision trail" limit={15} />
      </div>
    </div>
  )
}
