// The overall system status: the worst component status, weighted by how many components are
// affected. The worst status stands when at least `share` of the components with data are at
// it or worse; when fewer are, the system is one level milder (one critical function among
// forty is an unhealthy system, not a critical one), but never milder than degraded while any
// component is. Components without data (unknown) are not evidence either way: they are left
// out, and a run where no component has data is unknown.
import { rank, type HealthStatus } from './classify.js'

const BY_RANK: HealthStatus[] = ['healthy', 'degraded', 'unhealthy', 'critical']

interface Weighing {
  overall: HealthStatus
  known: number
  worst?: HealthStatus
  affected?: number
}

function weigh(statuses: HealthStatus[], share: number): Weighing {
  const known = statuses.filter(status => status !== 'unknown').map(rank)
  if (known.length === 0) return { overall: 'unknown', known: 0 }
  const worst = Math.max(...known)
  const affected = known.filter(value => value >= worst).length
  const overall = worst <= 1 || affected / known.length >= share ? worst : worst - 1
  return {
    overall: BY_RANK[overall] as HealthStatus,
    known: known.length,
    worst: BY_RANK[worst] as HealthStatus,
    affected
  }
}

export function overallStatus(statuses: HealthStatus[], share: number): HealthStatus {
  return weigh(statuses, share).overall
}

/** The rule applied to these statuses, in a sentence for the audit log. */
export function explainOverall(statuses: HealthStatus[], share: number): string {
  const { overall, known, worst, affected } = weigh(statuses, share)
  if (worst === undefined || affected === undefined)
    return `no component had data (${statuses.length} unknown): overall unknown`
  const fraction = `${affected} of ${known} components with data`
  if (worst === overall) return `worst status ${worst} (${fraction}): overall ${overall}`
  return `worst status ${worst} in ${fraction}, under the ${share * 100}% share: overall one level milder, ${overall}`
}
