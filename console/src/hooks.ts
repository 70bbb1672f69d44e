// Data for a panel: loaded through the API, reloaded when the stream names one of its topics
// (coalesced, so a burst of changes is one reload); the cursors of a list paged by the API; and
// a typed filter applied once typing pauses.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { onLive } from './live'

export interface Resource<T> {
  /** The last answer; while `pending` it may answer the previous question (another filter or page). */
  data: T | undefined
  error: string | null
  loading: boolean
  /**
   * Loading an answer the view does not have yet: the first load, another filter or page, a retry.
   * A live refresh of what is shown is not pending: "Loading…" blinking on every change in an
   * incident would be noise.
   */
  pending: boolean
  reload: () => void
}

const COALESCE_MS = 250

export function useResource<T>(load: () => Promise<T>, deps: unknown[], topics: string[]): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const generation = useRef(0)
  // Which question `data` answers: the deps it was loaded for.
  const question = JSON.stringify(deps)
  const answered = useRef<string | null>(null)
  const reload = useCallback(() => {
    const mine = ++generation.current
    setLoading(true)
    load().then(
      value => {
        if (mine !== generation.current) return
        answered.current = question
        setData(value)
        setError(null)
        setLoading(false)
      },
      (err: unknown) => {
        if (mine !== generation.current) return
        // The rows of another filter or page must not stand under this one's error as its answer.
        if (answered.current !== question) {
          answered.current = null
          setData(undefined)
        }
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
  return { data, error, loading, pending: loading && answered.current !== question, reload }
}

const TYPING_PAUSE_MS = 250

/**
 * A typed filter applied once typing pauses (`later`), so a word typed is one request rather than
 * one per key; `now` applies at once (Enter, leaving the field) and drops what was waiting.
 */
export function useTypedFilter(apply: (value: string) => void): {
  later: (value: string) => void
  now: (value: string) => void
} {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const latest = useRef(apply)
  latest.current = apply
  useEffect(() => () => clearTimeout(timer.current), [])
  return {
    later: value => {
      clearTimeout(timer.current)
      timer.current = setTimeout(() => latest.current(value.trim()), TYPING_PAUSE_MS)
    },
    now: value => {
      clearTimeout(timer.current)
      latest.current(value.trim())
    }
  }
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
