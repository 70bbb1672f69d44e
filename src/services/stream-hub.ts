// The live event stream behind GET /v1/stream. One LISTEN per instance (opened with the first
// stream) hears every change any instance records (migration 0120); each open stream gets the
// events its caller may read, in order, after whatever it missed since its Last-Event-ID.
// Visibility is re-read per event as the stream's caller, under row-level security like every
// other read, so a member's stream names only their own rows.
import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../db/port.js'
import {
  listenStreamEvents,
  pruneStreamEvents,
  streamEventsAfter,
  streamRowVisible,
  type StreamEvent
} from '../db/stream-events.js'
import { errors } from '../errors.js'
import type { Identity } from './auth/identity.js'

/** Where a stream's events go: the route writes them to the response. */
export interface StreamSink {
  send: (event: StreamEvent) => void
  /** Ends the stream (the instance drains, or its events can no longer be read). */
  end: () => void
}

export interface StreamHub {
  /**
   * Opens a stream for the caller, replaying what was recorded after `lastEventId` first.
   * Resolves to the function that closes it; rejects with 429 past the caller's limit.
   */
  open: (caller: Identity, lastEventId: number | null, sink: StreamSink) => Promise<() => void>
  /** Ends every stream and stops listening. */
  close: () => Promise<void>
}

export interface StreamHubOptions {
  db: Db
  maxPerCaller: number
  log: FastifyBaseLogger
}

// How far back a reconnecting client can resume; older events are pruned and the client
// reloads what it shows instead (it does on every reconnect anyway).
const RETENTION_MS = 60 * 60 * 1000
const PRUNE_EVERY_MS = 10 * 60 * 1000
const REPLAY_LIMIT = 1000

interface Subscriber {
  caller: Identity
  sink: StreamSink
  /** The highest id queued, so replayed and live events are never sent twice. */
  highest: number
  /** Live events heard while the replay is read. */
  held: StreamEvent[] | null
  chain: Promise<void>
}

const callerKey = (caller: Identity): string => `${caller.kind}:${caller.userId ?? ''}`

export function createStreamHub({ db, maxPerCaller, log }: StreamHubOptions): StreamHub {
  const subscribers = new Set<Subscriber>()
  const perCaller = new Map<string, number>()
  let listening: Promise<() => Promise<void>> | null = null
  let pruner: NodeJS.Timeout | undefined
  let closed = false

  async function visible(caller: Identity, event: StreamEvent): Promise<boolean> {
    // Admins and the service role read every row (docs/tenancy.md); members only theirs.
    if (caller.kind !== 'user') return true
    return await db.asCaller(caller, async tx => await streamRowVisible(tx, event))
  }

  function link(subscriber: Subscriber, work: () => Promise<void>): void {
    subscriber.chain = subscriber.chain.then(work).catch((err: unknown) => {
      // A stream whose events cannot be read any more ends; its client resumes where it was.
      if (!release(subscriber)) return
      log.warn({ err }, 'event stream ended: its events could not be read')
      subscriber.sink.end()
    })
  }

  function queue(subscriber: Subscriber, event: StreamEvent): void {
    if (event.id <= subscriber.highest) return
    subscriber.highest = event.id
    link(subscriber, async () => {
      if (subscribers.has(subscriber) && (await visible(subscriber.caller, event))) subscriber.sink.send(event)
    })
  }

  function deliver(event: StreamEvent): void {
    for (const subscriber of subscribers) {
      if (subscriber.held === null) queue(subscriber, event)
      else subscriber.held.push(event)
    }
  }

  function prune(): void {
    pruneStreamEvents(db.sql, new Date(Date.now() - RETENTION_MS)).catch((err: unknown) => {
      log.warn({ err }, 'pruning the stream log failed')
    })
  }

  async function ensureListening(): Promise<void> {
    if (listening === null) {
      listening = listenStreamEvents(db.sql, deliver)
      listening.catch(() => {
        listening = null
      })
      pruner = setInterval(prune, PRUNE_EVERY_MS).unref()
      prune()
    }
    await listening
  }

  function release(subscriber: Subscriber): boolean {
    if (!subscribers.delete(subscriber)) return false
    const key = callerKey(subscriber.caller)
    const left = (perCaller.get(key) ?? 1) - 1
    if (left === 0) perCaller.delete(key)
    else perCaller.set(key, left)
    return true
  }

  return {
    async open(caller, lastEventId, sink) {
      if (closed) throw new errors.ServiceDraining('this instance is draining; reconnect to another')
      const key = callerKey(caller)
      const held = perCaller.get(key) ?? 0
      if (held >= maxPerCaller)
        throw new errors.RateLimited(`at most ${maxPerCaller} event streams per caller; close one first`)
      perCaller.set(key, held + 1)
      const subscriber: Subscriber = { caller, sink, highest: lastEventId ?? 0, held: [], chain: Promise.resolve() }
      subscribers.add(subscriber)
      try {
        await ensureListening()
      } catch (err) {
        release(subscriber)
        throw err
      }
      // close() ran while this one waited for the LISTEN: it has ended the stream already.
      if (closed) return () => {}
      link(subscriber, async () => {
        if (lastEventId !== null)
          for (const event of await streamEventsAfter(db.sql, lastEventId, REPLAY_LIMIT)) queue(subscriber, event)
        const live = subscriber.held ?? []
        subscriber.held = null
        for (const event of live) queue(subscriber, event)
      })
      return () => {
        release(subscriber)
      }
    },
    async close() {
      closed = true
      clearInterval(pruner)
      for (const subscriber of [...subscribers]) if (release(subscriber)) subscriber.sink.end()
      const unlisten = listening
      listening = null
      if (unlisten !== null) await (await unlisten)()
    }
  }
}
