// Cleanup for benches that reuse the test helpers (a control endpoint, a fake LLM server): the
// helpers register what to close through `teardown`, as under a tap test, and the bench runs
// it all at the end, last registered first.
export interface Teardowns {
  teardown: (fn: () => unknown) => void
  run: () => Promise<void>
}

export function teardowns(): Teardowns {
  const pending: Array<() => unknown> = []
  return {
    teardown: fn => {
      pending.push(fn)
    },
    run: async () => {
      for (const fn of pending.reverse()) await fn()
      pending.length = 0
    }
  }
}
