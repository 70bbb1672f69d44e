// Delivers the outbox: lifecycle rows fanned out to the channels that were told about the
// signal, then due deliveries claimed with a lease and sent. A 2xx is sent; a 408, 429, 5xx,
// timeout or network error is tried again later (after the channel's Retry-After, else a
// doubling backoff with jitter) until CHANNEL_MAX_ATTEMPTS; anything else will not get better
// and is kept as failed with its error. Nothing is deleted, so a delivery is never lost silently.
import type { FastifyBaseLogger } from 'fastify'
import { SERVICE_CALLER } from '../../db/caller.js'
import type { Db } from '../../db/port.js'
import {
  claimDeliveries,
  fanOutLifecycle,
  markFinal,
  markRetry,
  markSent,
  type OutboxDelivery
} from '../../db/notification-outbox.js'
import type { PostOutcome } from '../outbound-http.js'
import { unsealBound, type SecretsKey } from '../secrets.js'
import { send } from './send.js'
import type { ChannelSecrets, ChannelSettings } from './types.js'

export interface DispatchSettings extends ChannelSettings {
  maxAttempts: number
  retryMaxMs: number
  timeoutMs: number
}

export interface DispatchReport {
  fanned_out: number
  sent: number
  retried: number
  failed: number
  skipped: number
}

const BATCH = 50
const BATCHES_PER_RUN = 20
const FIRST_RETRY_MS = 1000
// A claim outlives the attempt's time limit by this much, so a live dispatcher never loses it mid-send.
const LEASE_GRACE_MS = 5000

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined) return undefined
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

export function backoffMs(attempts: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1))
  return Math.round(base * (0.9 + 0.2 * random()))
}

function secretsOf(delivery: OutboxDelivery, key: SecretsKey): ChannelSecrets {
  try {
    return JSON.parse(unsealBound(delivery.secret_ciphertext, key, delivery.channel_id)) as ChannelSecrets
  } catch {
    throw new Error("the channel's secrets cannot be opened with the configured SECRETS_KEY")
  }
}

async function attempt(delivery: OutboxDelivery, settings: DispatchSettings): Promise<PostOutcome> {
  let secrets: ChannelSecrets
  try {
    secrets = secretsOf(delivery, settings.secretsKey)
  } catch (error) {
    // A key put right later still delivers it: retried like a channel that is down.
    return { ok: false, error: (error as Error).message, retryable: true }
  }
  return await send(
    {
      id: delivery.id,
      kind: delivery.kind,
      url: delivery.url,
      secrets,
      event: delivery.event,
      dedupKey: delivery.dedup_key,
      message: delivery.message
    },
    AbortSignal.timeout(settings.timeoutMs),
    settings.policy
  )
}

type Outcome = 'sent' | 'retried' | 'failed' | 'skipped'

async function deliver(
  db: Db,
  delivery: OutboxDelivery,
  settings: DispatchSettings,
  log: FastifyBaseLogger
): Promise<Outcome> {
  if (!delivery.enabled) {
    await db.asCaller(SERVICE_CALLER, async tx => {
      await markFinal(tx, delivery.id, 'skipped', null, 'the channel was disabled')
    })
    return 'skipped'
  }
  const outcome = await attempt(delivery, settings).catch((error: unknown): PostOutcome => ({
    ok: false,
    error: String(error),
    retryable: true
  }))
  const status = outcome.status ?? null
  const context = {
    delivery_id: delivery.id,
    channel: delivery.channel_name,
    kind: delivery.kind,
    event: delivery.event,
    attempt: delivery.attempts,
    status
  }
  return await db.asCaller(SERVICE_CALLER, async (tx): Promise<Outcome> => {
    if (outcome.ok) {
      await markSent(tx, delivery.id, status)
      return 'sent'
    }
    const error = outcome.error ?? 'failed'
    if (outcome.retryable && delivery.attempts < settings.maxAttempts) {
      const delay = Math.min(
        settings.retryMaxMs,
        retryAfterMs(outcome.retryAfter) ?? backoffMs(delivery.attempts, settings.retryMaxMs)
      )
      await markRetry(tx, delivery.id, delay, status, error)
      log.warn({ ...context, error, retry_in_ms: delay }, 'notification not taken; will retry')
      return 'retried'
    }
    await markFinal(tx, delivery.id, 'failed', status, error)
    log.error({ ...context, error }, 'notification given up')
    return 'failed'
  })
}

/**
 * One run: fan out, then up to BATCHES_PER_RUN batches. Once `stopping` is aborted (the process is
 * shutting down) no further batch is claimed: the batch in flight finishes within the attempt's
 * time limit, and the rest stays due for the next run or another instance, instead of holding
 * the shutdown for up to BATCHES_PER_RUN time limits.
 */
export async function dispatchDue(
  db: Db,
  settings: DispatchSettings,
  log: FastifyBaseLogger,
  stopping?: AbortSignal
): Promise<DispatchReport> {
  const report: DispatchReport = { fanned_out: 0, sent: 0, retried: 0, failed: 0, skipped: 0 }
  report.fanned_out = await db.asCaller(SERVICE_CALLER, async tx => await fanOutLifecycle(tx, BATCH * BATCHES_PER_RUN))
  for (let batch = 0; batch < BATCHES_PER_RUN && stopping?.aborted !== true; batch++) {
    const claimed = await db.asCaller(
      SERVICE_CALLER,
      async tx => await claimDeliveries(tx, BATCH, settings.timeoutMs + LEASE_GRACE_MS)
    )
    if (claimed.length === 0) break
    // One channel's deliveries go in order (the claim takes one per channel and key); different ones at once.
    for (const outcome of await Promise.all(claimed.map(async delivery => await deliver(db, delivery, settings, log))))
      report[outcome]++
  }
  return report
}
