// Reads GET /v1/stream over real HTTP the way the console does (fetch with the Authorization
// header, the body read as it arrives), collecting parsed server-sent events.
export interface ReceivedEvent {
  id: number
  event: string
  data: { topic: string; id: string | null; op: string }
}

export interface OpenStream {
  status: number
  events: ReceivedEvent[]
  /** Resolves when the server has ended the stream. */
  ended: Promise<void>
  /** Resolves with the first event (counting those already received) that matches. */
  waitFor: (match: (event: ReceivedEvent) => boolean, timeoutMs?: number) => Promise<ReceivedEvent>
  close: () => void
}

export async function openStream(baseUrl: string, token: string, lastEventId?: number): Promise<OpenStream> {
  const abort = new AbortController()
  const headers: Record<string, string> = { authorization: `Bearer ${token}` }
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId)
  const res = await fetch(`${baseUrl}/v1/stream`, { headers, signal: abort.signal })
  const events: ReceivedEvent[] = []
  const waiters = new Set<() => unknown>()
  let ended: Promise<void> = Promise.resolve()
  if (res.ok && res.body !== null) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    ended = (async () => {
      let buffer = ''
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) return
          buffer += value
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const fields = Object.fromEntries(
              block
                .split('\n')
                .filter(line => !line.startsWith(':') && line.includes(': '))
                .map(line => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)])
            )
            if (fields.data === undefined) continue
            events.push({ id: Number(fields.id), event: String(fields.event), data: JSON.parse(fields.data) })
            for (const wake of waiters) wake()
          }
        }
      } catch {
        // aborted by close()
      }
    })()
  } else await res.body?.cancel()
  return {
    status: res.status,
    events,
    ended,
    waitFor: (match, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = events.find(match)
          if (found === undefined) return false
          waiters.delete(check)
          clearTimeout(timer)
          resolve(found)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no matching event within ${timeoutMs} ms; received ${JSON.stringify(events)}`))
        }, timeoutMs)
        if (!check()) waiters.add(check)
      }),
    close: () => abort.abort()
  }
}
