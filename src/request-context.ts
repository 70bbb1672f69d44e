// The request a piece of work was started by, carried through async calls (AsyncLocalStorage)
// so the layers below a route can name it without every signature passing it down: the
// caller's transaction stamps it on audit rows and escalations, executors send it to control
// endpoints, and log lines of shared loggers (the healing engine's) carry it.
import { AsyncLocalStorage } from 'node:async_hooks'

interface RequestContext {
  requestId: string
}

const storage = new AsyncLocalStorage<RequestContext>()

/** Runs `work` (and everything it starts) as part of the request `requestId`. */
export function runInRequest<T>(requestId: string, work: () => T): T {
  return storage.run({ requestId }, work)
}

/** The id of the request the current work belongs to; undefined for the jobs' own work. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId
}
