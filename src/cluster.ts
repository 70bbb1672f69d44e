// Several processes serving the API on one port (node:cluster), for when one core's worth of
// JSON parsing, validation, serialisation and logging is the ingest ceiling. The primary has
// already prepared the database (embedded PostgreSQL, migrations, sealed secrets); it forks the
// workers, which share the listening port (the primary hands connections out in turn), and
// supervises them: a worker that dies is replaced, and a signal drains every worker before the
// primary exits. Workers never act on signals themselves: a terminal's Ctrl-C reaches the whole
// process group, and a worker that also got the primary's word would take it as the second
// signal and exit without draining. A worker whose primary is gone drains and exits too.
// Jobs run in the first worker only (its replacement takes them over); they are exactly-once
// across processes anyway, as across instances, so this only saves the others' idle ticks.
// /metrics answers for the whole service whichever worker takes the scrape: that worker asks
// the primary, which gathers every worker's registry over IPC and merges them (prom-client's
// AggregatorRegistry: counters and histograms summed, gauges as each metric declares).
import cluster, { type Worker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import { AggregatorRegistry, type Registry } from 'prom-client'

/** What a worker tells the primary once it listens. */
interface Listening {
  listening: string
}

/** What the primary tells a worker when it is to drain and exit. */
const DRAIN = 'core314:drain'
const RESTART_DELAY_MS = 1_000

/** A worker asks the primary for the whole service's metrics; the answer carries the same id. */
const METRICS = 'core314:metrics'
interface MetricsMessage {
  type: typeof METRICS
  id: number
  text?: string
  error?: string
}
/** prom-client's own wait for every worker's registry is 5 s; this one covers it and the hop back. */
const METRICS_WAIT_MS = 8_000

function isMetricsMessage(message: unknown): message is MetricsMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === METRICS
}

export interface PrimaryLog {
  info: (fields: object, message: string) => void
  error: (fields: object, message: string) => void
}

/** The processes WEB_CONCURRENCY asks for: 0 means one per core this process may use. */
export function workerCount(webConcurrency: number): number {
  return webConcurrency === 0 ? availableParallelism() : webConcurrency
}

export const isWorker = cluster.isWorker

/**
 * In a worker, called first thing: resolves when the primary says to drain or is gone, even
 * while the app is still being built. Signals are ignored from then on: the primary relays them.
 */
export async function primaryDrainWord(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {})
  // Answers the primary's gathering from the start: a worker still building its app answers
  // with nothing (prom-client's global registry, unused here) rather than stall every scrape.
  new AggregatorRegistry()
  await new Promise<void>(resolve => {
    process.on('message', message => {
      if (message === DRAIN) resolve()
    })
    process.once('disconnect', resolve)
  })
}

/** In a worker: the registry the primary gathers from this process. */
export function shareMetrics(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry])
}

let metricsRequests = 0

/** In a worker: every worker's metrics merged by the primary, as Prometheus text. */
export async function serviceMetrics(): Promise<string> {
  const id = metricsRequests++
  return await new Promise<string>((resolve, reject) => {
    const answered = (message: unknown): void => {
      if (!isMetricsMessage(message) || message.id !== id) return
      settle()
      if (message.text === undefined) reject(new Error(message.error ?? 'the primary sent no metrics'))
      else resolve(message.text)
    }
    const timer = setTimeout(() => {
      settle()
      reject(new Error(`the primary did not answer within ${METRICS_WAIT_MS} ms`))
    }, METRICS_WAIT_MS)
    const settle = (): void => {
      clearTimeout(timer)
      process.off('message', answered)
    }
    process.on('message', answered)
    process.send?.({ type: METRICS, id } satisfies MetricsMessage)
  })
}

/** In a worker: tells the primary it listens at `address`. */
export function reportListening(address: string): void {
  process.send?.({ listening: address } satisfies Listening)
}

export interface PrimaryOptions {
  count: number
  /** Whether the first worker runs the jobs (JOBS_ENABLED); the others never do. */
  jobsEnabled: boolean
  /** Settings the primary resolved (the embedded database's URL and secrets), for every worker. */
  env: Record<string, string>
  log: PrimaryLog
  /** Runs once every worker has exited after a signal, before the primary exits. */
  stopped: () => Promise<void>
}

/**
 * In the primary: forks `count` workers and resolves with the address once all listen. A worker
 * that exits before it listens fails the start (a configuration or database problem every
 * replacement would meet too): the others are drained and the primary exits 1.
 */
export async function runPrimary(options: PrimaryOptions): Promise<string> {
  const { count, log } = options
  const slots = new Map<Worker, number>()
  let stopping = false
  let address: string | undefined
  let resolveStarted: (address: string) => void = () => {}
  const started = new Promise<string>(resolve => {
    resolveStarted = resolve
  })
  let listening = 0
  const metrics = new AggregatorRegistry()

  // A worker is asked for its registry like every other, the one asking included.
  const gather = (worker: Worker, id: number): void => {
    metrics.clusterMetrics().then(
      text => {
        if (worker.isConnected()) worker.send({ type: METRICS, id, text } satisfies MetricsMessage)
      },
      (err: unknown) => {
        if (worker.isConnected())
          worker.send({
            type: METRICS,
            id,
            error: err instanceof Error ? err.message : String(err)
          } satisfies MetricsMessage)
      }
    )
  }

  const fork = (slot: number): void => {
    const worker = cluster.fork({
      ...options.env,
      ...(slot === 0 && options.jobsEnabled ? {} : { JOBS_ENABLED: 'false' })
    })
    let listened = false
    slots.set(worker, slot)
    worker.on('message', (message: Partial<Listening> | MetricsMessage) => {
      if (isMetricsMessage(message)) {
        gather(worker, message.id)
        return
      }
      if (typeof message.listening !== 'string' || listened) return
      listened = true
      address ??= message.listening
      if (++listening === count) resolveStarted(address)
    })
    worker.on('exit', (code, signal) => {
      slots.delete(worker)
      if (stopping) return
      const ended = { worker: worker.process.pid, slot, code, signal }
      if (!listened) {
        log.error(ended, 'a worker exited as it started; stopping every worker')
        void stop(1)
        return
      }
      log.error(ended, 'a worker exited; starting another in its place')
      setTimeout(() => {
        if (!stopping) fork(slot)
      }, RESTART_DELAY_MS)
    })
  }

  // Every worker drains (finishes its requests and running jobs, closes its pool) before the
  // primary stops the embedded database and exits; a second signal ends everything at once.
  async function stop(code: number): Promise<void> {
    if (stopping) return
    stopping = true
    const workers = [...slots.keys()]
    await Promise.all(
      workers.map(async worker => {
        const exited = new Promise(resolve => worker.once('exit', resolve))
        worker.send(DRAIN, () => {})
        await exited
      })
    )
    await options.stopped()
    process.exit(code)
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (stopping) {
        for (const worker of slots.keys()) worker.process.kill('SIGKILL')
        process.exit(1)
      }
      log.info({ workers: slots.size, signal }, 'draining before exit')
      void stop(0)
    })

  for (let slot = 0; slot < count; slot++) fork(slot)
  return await started
}
