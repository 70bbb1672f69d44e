// Runs a test within its time budget. A test that hangs is not awaited past the budget: its
// signal fires (so it can let go of connections and sockets) and the runner moves on, whether
// or not the test ever notices.
export type Settled = { kind: 'returned' } | { kind: 'threw'; error: unknown } | { kind: 'timed_out' }

export async function runWithin(work: (signal: AbortSignal) => Promise<void>, timeoutMs: number): Promise<Settled> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<Settled>(resolve => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`))
      resolve({ kind: 'timed_out' })
    }, timeoutMs)
  })
  const ran = (async (): Promise<Settled> => {
    try {
      await work(controller.signal)
      return { kind: 'returned' }
    } catch (error) {
      return { kind: 'threw', error }
    }
  })()
  try {
    return await Promise.race([ran, expired])
  } finally {
    clearTimeout(timer)
  }
}
