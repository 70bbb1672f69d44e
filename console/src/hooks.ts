// Data for a panel: loaded through the API, reloaded when the stream names one of its topics
// (coalesced, so a burst of changes is one reload); and the cursors of a list paged by the API.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { onLive } from './live'

export interface Resource<T> {
  data: T | undefined
  error: string | null
  loading: boolean
  reload: () => void
}

const COALESCE_MS = 250

export function useResource<T>(load: () => Promise<T>, deps: unknown[], topics: string[]): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const generation = useRef(0)
  const reload = useCallback(() => {
    const mine = ++generation.current
    setLoading(true)
    load().then(
      value => {
        if (mine !== generation.current) return
        setData(value)
        setError(null)
        setLoading(false)
      },
      (err: unknown) => {
        if (mine !== generation.current) return
        setError(err instanceof Error ? err.message : String(err))
        setLoading(false)
      }
    )
  }, deps)
  useEffect(reload, [reload])
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const off = onLive(topic => {
      if (topic !== '*' && !topics.includes(topic)) return
      clearTimeout(timer)
      timer = setTimeout(reload, COALESCE_MS)
    })
    return () => {
      off()
      clearTimeout(timer)
    }
  }, [reload, topics.join()])
  return { data, error, loading, reload }
}

/** Where a cursor-paged list is: the cursors of the pages before it, newest page first. */
export interface CursorPages {
  /** The cursor to ask for the shown page with; undefined on the first page. */
  cursor: string | undefined
  /** 1 on the newest page. */
  number: number
  older: (next: string) => void
  newer: () => void
  /** Back to the newest page, as a filter change must. */
  reset: () => void
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<string[]>([])
  return {
    cursor: cursors[cursors.length - 1],
    number: cursors.length + 1,
    older: next => setCursors([...cursors, next]),
    newer: () => setCursors(cursors.slice(0, -1)),
    reset: () => setCursors([])
  }
}
