// The decision audit trail, newest first: what the engine, the detector and the monitor decided
// and why. The monitor shows it as what changed recently, the recovery manager as the trail.
import { api, call } from '../api'
import { useResource } from '../hooks'
import { Empty, Notice, Section, When } from '../ui'

export function DecisionFeed({ title, limit }: { title: string; limit: number }) {
  const decisions = useResource(
    async () => await call(api.GET('/v1/decisions', { params: { query: { limit } } })),
    [limit],
    ['anomaly', 'recovery_action', 'healing_mode', 'escalation']
  )
  return (
    <Section title={title} busy={decisions.pending}>
      <Notice error={decisions.error} onRetry={decisions.reload} />
      {decisions.data?.items.length === 0 && <Empty>No decisions recorded yet.</Empty>}
      <ul class="feed">
        {decisions.data?.items.map(decision => (
          <li key={decision.id}>
            <When at={decision.created_at} /> <strong>{decision.decision_type.replace(/_/g, ' ')}</strong> by{' '}
            {decision.component}
            {decision.outcome === null ? '' : `: ${decision.outcome}`}
            {decision.reasoning === null ? null : <div class="muted small">{decision.reasoning}</div>}
          </li>
        ))}
      </ul>
    </Section>
  )
}
