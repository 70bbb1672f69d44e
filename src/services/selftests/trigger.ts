// Who started a run, as selftest_results records it: a job (scheduled) or a caller (manual).
import type { Identity } from '../auth/identity.js'
import type { Trigger } from './result.js'

export function jobTrigger(job: string, tick: Date): Trigger {
  return {
    mode: 'scheduled',
    scheduledBy: `job:${job}`,
    triggeredByUserId: null,
    reason: `scheduled tick ${tick.toISOString()}`
  }
}

export function callerTrigger(identity: Identity): Trigger {
  const who = identity.userId === null ? identity.kind : `${identity.kind}:${identity.userId}`
  return {
    mode: 'manual',
    scheduledBy: who,
    triggeredByUserId: identity.userId,
    reason: `POST /v1/selftests/run by ${who}`
  }
}
