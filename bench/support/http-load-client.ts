// The forked side of http-load.ts: autocannon with one connection per caller, each request
// taking the next body in turn. Latencies are taken from autocannon's per-response event,
// which has sub-millisecond resolution (its histogram keeps whole milliseconds).
import autocannon from 'autocannon'
import type { LoadRequest, LoadResult } from './http-load.js'

async function run(request: LoadRequest): Promise<LoadResult> {
  let next = 0
  const latencies: number[] = []
  const unexpected = new Map<number, number>()
  let finish: (error: Error | null, result: autocannon.Result) => void = () => {}
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error === null ? resolve(result) : reject(error))
  })
  const started = performance.now()
  const instance = autocannon(
    {
      url: request.address,
      connections: request.connections,
      pipelining: 1,
      duration: request.seconds,
      timeout: 30,
      requests: [
        {
          method: request.method,
          path: request.path,
          headers: request.headers,
          setupRequest: req => ({ ...req, body: request.bodies[next++ % request.bodies.length] as string })
        }
      ]
    },
    (error, result) => finish(error, result)
  )
  instance.on('response', (_client, status, _bytes, responseTime) => {
    if (status === request.expect) latencies.push(responseTime)
    else unexpected.set(status, (unexpected.get(status) ?? 0) + 1)
  })
  const result = await done
  // Timed here: autocannon's own duration was missing from one run on a loaded machine.
  const seconds = (performance.now() - started) / 1000
  if (unexpected.size > 0 || result.errors > 0)
    throw new Error(
      `${request.path}: unexpected answers ${JSON.stringify(Object.fromEntries(unexpected))}, ${result.errors} connection errors`
    )
  return { count: latencies.length, seconds, latencies: latencies.sort((a, b) => a - b) }
}

process.once('message', (request: LoadRequest) => {
  run(request).then(
    result => {
      process.send?.({ result }, () => process.exit(0))
    },
    (error: unknown) => {
      process.send?.({ error: error instanceof Error ? error.message : String(error) }, () => process.exit(1))
    }
  )
})
