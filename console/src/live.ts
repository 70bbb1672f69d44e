// Live updates: GET /v1/stream read with fetch, because EventSource cannot send the
// Authorization header and the token must never go into a URL. Reconnects after a drop with
// Last-Event-ID; every (re)connection tells the panels to reload once, since what happened
// while away may be older than the stream can replay.
import { REFUSED, currentToken, endSession } from './session'

export type LiveStatus = 'connecting' | 'live' | 'offline'
/** A topic of the stream, or '*' for "reload everything". */
type Listener = (topic: string) => void

const listeners = new Set<Listener>()
const RETRY_MS = 3000

export function onLive(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

function emit(topic: string): void {
  for (const listener of listeners) listener(topic)
}

export function startLive(setStatus: (status: LiveStatus) => void): () => void {
  let stopped = false
  let lastId: string | null = null
  let abort = new AbortController()

  async function readOnce(): Promise<'retry' | 'stop'> {
    const token = currentToken()
    if (token === null) return 'stop'
    const headers: Record<string, string> = { authorization: `Bearer ${token}` }
    if (lastId !== null) headers['last-event-id'] = lastId
    const res = await fetch('/v1/stream', { headers, signal: abort.signal })
    if (res.status === 401) endSession(REFUSED)
    if (res.status === 401 || res.status === 403) return 'stop'
    if (!res.ok || res.body === null) return 'retry'
    setStatus('live')
    emit('*')
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return 'retry'
      buffer += value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let topic: string | null = null
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) lastId = line.slice(4)
          else if (line.startsWith('event: ')) topic = line.slice(7)
        }
        if (topic !== null) emit(topic)
      }
    }
  }

  void (async () => {
    while (!stopped) {
      setStatus('connecting')
      let next: 'retry' | 'stop' = 'retry'
      try {
        next = await readOnce()
      } catch {
        next = 'retry'
      }
      if (stopped || next === 'stop') break
      setStatus('offline')
      await new Promise(resolve => setTimeout(resolve, RETRY_MS))
    }
    if (!stopped) setStatus('offline')
  })()

  return () => {
    stopped = true
    abort.abort()
    abort = new AbortController()
  }
}
