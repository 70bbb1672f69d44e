// Group commit of single health events (POST /v1/health-events without an Idempotency-Key):
// the events that callers with one identity send in the same turn of the event loop, while
// that identity's previous statement is in flight, or within EVENT_COMMIT_WAIT_MS of each other
// when that identity lately had more requests at once than are at hand, are stored by one
// statement, so they share one transaction, one commit and one WAL flush instead of one each
// (docs/scaling.md). Identity means the role and the claims exactly as SQL receives them,
// so row-level security judges the group as it would judge each of its events. Every request
// is answered only after that statement has committed, with its own row.
//
// When the database refuses the statement for what it holds (a row breaking a rule), nothing of
// it was stored, and each event is sent again alone: each request then gets exactly the answer
// it would have got alone, the refused one its 4xx, the others their rows. Any other failure (a
// timeout, a lost connection) is every member's answer, as it would have been for each alone.
import { claimsText, type Caller } from '../db/caller.js'
import { isStatementRefusal } from '../db/errors.js'
import { insertHealthEventAsQuery, insertHealthEventsAsQuery } from '../db/health-events.js'
import type { Db } from '../db/port.js'
import { growingLru } from '../lib/growing-lru.js'
import type { HealthEventInputBody, HealthEventRow } from '../schemas/health-events.js'

/** Stores one event as the caller, committed when it resolves. */
export type StoreHealthEvent = (caller: Caller, event: HealthEventInputBody) => Promise<HealthEventRow>

interface Member {
  event: HealthEventInputBody
  resolve: (row: HealthEventRow) => void
  reject: (error: unknown) => void
}

interface Group {
  caller: Caller
  members: Member[]
  /** Its turn of the event loop has passed: it may be sent. */
  ready: boolean
}

/** One identity's groups: the one still taking members, and how many are being stored. */
interface Lane {
  open: Group | undefined
  inFlight: number
  /** Requests in the statements being stored. */
  inFlightMembers: number
  /** Ends the open group's wait for the identity's callers. */
  gathering: NodeJS.Timeout | undefined
}

export interface GroupOptions {
  /**
   * Statements of one identity in flight at once. A group ready while that many are being
   * stored waits for the first to finish and takes every request arriving meanwhile, so a few
   * steady callers share commits too, not only bursts that land in the same turn.
   */
  maxInFlight?: number
  /** The longest a ready group waits for that, ms: a slow statement holds the others no longer. */
  maxHoldMs?: number
  /**
   * The longest a ready group waits, ms, for the identity's other callers to come back when
   * fewer of its requests are at hand than it lately had at once (EVENT_COMMIT_WAIT_MS); 0: never.
   */
  commitWaitMs?: number
}

/**
 * One process's group commit over `db`. Each statement keeps Db.statement's deadline, counted
 * from when the group is sent: at most `maxHoldMs` after its turn of the event loop.
 */
export function healthEventGroups(db: Db, options: GroupOptions = {}): StoreHealthEvent {
  const { maxInFlight = 1, maxHoldMs = 10, commitWaitMs = 0 } = options
  const lanes = new Map<string, Lane>()
  // How many of an identity's requests were lately at hand at once: how many callers it has. Kept
  // past its lane, which ends with every statement answered, for the identities seen last.
  const callers = growingLru<string, number>(10_000)

  async function alone(caller: Caller, member: Member): Promise<void> {
    try {
      const [row] = await db.statement(sql => insertHealthEventAsQuery(sql, caller, member.event))
      member.resolve(row as HealthEventRow)
    } catch (error) {
      member.reject(error)
    }
  }

  async function store({ caller, members }: Group): Promise<void> {
    const [first] = members
    if (members.length === 1 && first !== undefined) return await alone(caller, first)
    let rows: HealthEventRow[]
    try {
      rows = await db.statement(sql =>
        insertHealthEventsAsQuery(
          sql,
          caller,
          members.map(member => member.event)
        )
      )
    } catch (error) {
      if (isStatementRefusal(error)) await Promise.all(members.map(async member => await alone(caller, member)))
      else for (const member of members) member.reject(error)
      return
    }
    members.forEach((member, index) => member.resolve(rows[index] as HealthEventRow))
  }

  function send(key: string, lane: Lane, group: Group): void {
    if (lane.open === group) lane.open = undefined
    clearTimeout(lane.gathering)
    lane.gathering = undefined
    lane.inFlight += 1
    lane.inFlightMembers += group.members.length
    void store(group).finally(() => {
      lane.inFlight -= 1
      lane.inFlightMembers -= group.members.length
      const waiting = lane.open
      if (waiting?.ready === true) gather(key, lane, waiting)
      else if (lane.inFlight === 0 && waiting === undefined) lanes.delete(key)
    })
  }

  const atHand = (lane: Lane, group: Group) => group.members.length + lane.inFlightMembers

  /** Sends the group, taking the requests at hand as the identity's callers from now on. */
  function sendCounting(key: string, lane: Lane, group: Group): void {
    callers.set(key, atHand(lane, group))
    send(key, lane, group)
  }

  // A ready group free to go waits briefly while fewer of the identity's requests are at hand
  // than it lately had at once: callers just answered are sending again, and a statement for
  // all of them costs PostgreSQL one commit instead of several. A lone caller is never held.
  function gather(key: string, lane: Lane, group: Group): void {
    if (atHand(lane, group) >= (callers.get(key) ?? 1) || commitWaitMs <= 0) return sendCounting(key, lane, group)
    lane.gathering = setTimeout(() => {
      // Fewer came back than before: fewer callers now.
      if (lane.open === group) sendCounting(key, lane, group)
    }, commitWaitMs).unref()
  }

  return async (caller, event) =>
    await new Promise<HealthEventRow>((resolve, reject) => {
      const key = `${caller.role}\n${claimsText(caller)}`
      let lane = lanes.get(key)
      if (lane === undefined) {
        lane = { open: undefined, inFlight: 0, inFlightMembers: 0, gathering: undefined }
        lanes.set(key, lane)
      }
      const open = lane.open
      if (open !== undefined) {
        open.members.push({ event, resolve, reject })
        if (lane.gathering !== undefined && atHand(lane, open) >= (callers.get(key) ?? 1)) sendCounting(key, lane, open)
        return
      }
      const group: Group = { caller, members: [{ event, resolve, reject }], ready: false }
      const held = lane
      held.open = group
      // After the I/O of this turn: every request read in it has reached its handler by then.
      setImmediate(() => {
        group.ready = true
        if (held.inFlight < maxInFlight) return gather(key, held, group)
        setTimeout(() => {
          if (held.open === group) send(key, held, group)
        }, maxHoldMs).unref()
      })
    })
}
