// HTTP load from a process of its own, as callers are: autocannon runs in a forked child
// (support/http-load-client.ts), so the service is never charged for the client's work and the
// client never waits on the service's event loop. The parent hands over the request bodies
// and gets back how many answered as expected, in how long, and every latency.
import { fork } from 'node:child_process'

export interface LoadRequest {
  address: string
  method: 'POST'
  path: string
  headers: Record<string, string>
  /** Sent in turn, round and round, one per request. */
  bodies: string[]
  /** Concurrent callers: one keep-alive connection each, one request in flight on it. */
  connections: number
  seconds: number
  /** Requests answered with another status are counted apart and fail the run. */
  expect: number
}

export interface LoadResult {
  /** Requests answered with the expected status. */
  count: number
  seconds: number
  /** Milliseconds of the expected answers, sorted. */
  latencies: number[]
}

export async function runLoad(request: LoadRequest): Promise<LoadResult> {
  const child = fork(new URL('./http-load-client.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit'
  })
  return await new Promise<LoadResult>((resolve, reject) => {
    let result: LoadResult | undefined
    child.on('message', (message: { result?: LoadResult; error?: string }) => {
      if (message.error !== undefined) reject(new Error(message.error))
      result = message.result
    })
    child.on('exit', code =>
      result === undefined
        ? reject(new Error(`load client exited with ${String(code)} and no result`))
        : resolve(result)
    )
    child.send(request)
  })
}
