// HTTP load from a process of its own: the benchmark's client must not share the service's event
// loop, as no real caller does, or the service is charged for the client's work too. The parent
// hands a list of request bodies to a forked http-load-client.ts and gets the timings back.
import { fork } from 'node:child_process'

export interface LoadRequest {
  address: string
  method: 'POST'
  path: string
  headers: Record<string, string>
  bodies: string[]
  concurrency: number
  /** Any other status fails the run. */
  expect: number
}

export interface LoadResult {
  seconds: number
  /** Milliseconds, sorted. */
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
