// Domain events the metrics plugin counts, published where they happen. Services publish on
// node:diagnostics_channel instead of holding a metrics object: they stay free of the
// framework, a channel nobody subscribes to costs nothing, and each app built in a process
// (tests build several) subscribes its own registry and unsubscribes on close.
import diagnostics from 'node:diagnostics_channel'

export interface EscalationEvent {
  severity: string
  /** One entry per channel notified: its kind (slack, webhook) and whether it took the message. */
  notifications: Array<{ kind: string; ok: boolean }>
}

export interface LlmCallEvent {
  /** 'answered', or the rule-based fallback's reason (timeout, breaker_open, ...). */
  outcome: string
}

export interface RefusedEventsEvent {
  /** Why: invalid (failed validation), too_late, too_early. */
  reason: string
  count: number
}

export interface RunDurationEvent {
  kind: 'detection' | 'healing'
  seconds: number
}

export interface AttemptEvent {
  actionType: string
  /** The action's execution_status after the attempt. */
  status: string
}

export const channels = {
  escalation: diagnostics.channel('core314:escalation'),
  healingSkip: diagnostics.channel('core314:healing-skip'),
  llmCall: diagnostics.channel('core314:llm-call'),
  refusedEvents: diagnostics.channel('core314:refused-events'),
  runDuration: diagnostics.channel('core314:run-duration'),
  attempt: diagnostics.channel('core314:recovery-attempt')
}

function publisher<T>(channel: diagnostics.Channel): (event: T) => void {
  return event => {
    if (channel.hasSubscribers) channel.publish(event)
  }
}

export const publishEscalation = publisher<EscalationEvent>(channels.escalation)
/** A healing run could not decide for one anomaly signal and skipped it. */
export const publishHealingSkip = publisher<Record<string, never>>(channels.healingSkip)
export const publishLlmCall = publisher<LlmCallEvent>(channels.llmCall)
export const publishAttempt = publisher<AttemptEvent>(channels.attempt)
export const publishRunDuration = publisher<RunDurationEvent>(channels.runDuration)

/** Ingest calls this for events it refuses (schema-invalid, or outside the accepted time bounds). */
export function countRefusedEvents(reason: string, count = 1): void {
  if (count > 0 && channels.refusedEvents.hasSubscribers)
    channels.refusedEvents.publish({ reason, count } satisfies RefusedEventsEvent)
}
