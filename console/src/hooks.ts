// Data for a panel: loaded through the API, reloaded when the stream names one of its topics
// (coalesced, so a burst of changes is one reload).
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
