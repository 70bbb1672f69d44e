// The forked side of http-load.ts: sends the bodies it is given at the given concurrency over
// keep-alive connections, times each request, and reports back once.
import { Pool } from 'undici'
import type { LoadRequest, LoadResult } from './http-load.js'

async function load (request: LoadRequest): Promise<LoadResult> {
  const pool = new Pool(request.address, { connections: request.concurrency, pipelining: 1 })
  const latencies: number[] = []
  let next = 0
  try {
    const started = performance.now()
    await Promise.all(Array.from({ length: request.concurrency }, async () => {
      while (next < request.bodies.length) {
        const body = request.bodies[next++] as string
        const t0 = performance.now()
        const res = await pool.request({ method: request.method, path: request.path, headers: request.headers, body })
        await res.body.dump()
        latencies.push(performance.now() - t0)
        if (res.statusCode !== request.expect) throw new Error(`${request.path} answered ${res.statusCode}, expected ${request.expect}`)
      }
    }))
    return { seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) }
  } finally {
    await pool.close()
  }
}

process.once('message', (request: LoadRequest) => {
  load(request).then(
    (result) => process.send?.({ result }, () => process.exit(0)),
    (error: unknown) => process.send?.({ error: String(error) }, () => process.exit(1))
  )
})
