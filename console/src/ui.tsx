// Small pieces every panel uses: status badges, times, notices, a sparkline, a table section.
import type { ComponentChildren } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { useTypedFilter, type CursorPages } from './hooks'
import type { Who } from './session'

export function Badge({ value }: { value: string | null | undefined }) {
  const text = value ?? 'unknown'
  return <span class={`badge badge-${text.replace(/[^a-z_]/g, '')}`}>{text.replace(/_/g, ' ')}</span>
}

// One clock for every relative time on the page, so "2 min ago" does not stay "2 min ago" for an
// hour on a panel that nothing reloads.
const TICK_MS = 30_000
const ticking = new Set<() => void>()
let ticker: ReturnType<typeof setInterval> | undefined

function useClock(): number {
  const [, setTick] = useState(0)
  useEffect(() => {
    const tick = () => setTick(count => count + 1)
    ticking.add(tick)
    ticker ??= setInterval(() => ticking.forEach(listener => listener()), TICK_MS)
    return () => {
      ticking.delete(tick)
      if (ticking.size > 0) return
      clearInterval(ticker)
      ticker = undefined
    }
  }, [])
  return Date.now()
}

/**
 * A time as the person reads it: relative within a day and a half, else the date and time in
 * the browser's time zone; the title gives it in full with the zone, and in UTC.
 */
export function When({ at }: { at: string | null | undefined }) {
  const now = useClock()
  if (at === null || at === undefined) return <span class="muted">never</span>
  const date = new Date(at)
  const seconds = Math.round((now - date.getTime()) / 1000)
  const span = Math.abs(seconds)
  const amount =
    span < 90
      ? `${span} s`
      : span < 5400
        ? `${Math.round(span / 60)} min`
        : span < 129600
          ? `${Math.round(span / 3600)} h`
          : null
  const shown =
    amount === null
      ? date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
      : seconds >= 0
        ? `${amount} ago`
        : `in ${amount}`
  const full = `${date.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'long' })} (${date.toISOString()})`
  return (
    <time dateTime={date.toISOString()} title={full}>
      {shown}
    </time>
  )
}

/**
 * Whose row this is, for the callers that read every organization's (admins and the service
 * role): names repeat across organizations, and two "restart on checkout" waiting for approval
 * must not look alike. Members read their own organization only and are shown nothing.
 */
export function Organization({ caller, id }: { caller: Who; id: string | null | undefined }) {
  if (caller.kind === 'user' || id === undefined) return null
  return (
    <span class="org" title={id ?? 'the platform'}>
      {id === null ? 'platform' : `org ${id.slice(0, 8)}`}
    </span>
  )
}

/** A number with its unit, held together by a no-break space: a narrow cell never leaves "%" alone on a line. */
export function num(value: number | null | undefined, digits = 1, unit = ''): string {
  return value === null || value === undefined ? '–' : `${value.toFixed(digits)}${unit.replace(/^ /, '\u00a0')}`
}

export function Notice({ error, onRetry }: { error: string | null; onRetry?: () => void }) {
  if (error === null) return null
  return (
    <div class="notice" role="alert">
      {error}
      {onRetry !== undefined && (
        <button type="button" class="link" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  )
}

/** A line chart of one series, for a row's last hours; the label says what it shows. */
export function Sparkline({ values, label }: { values: Array<number | null>; label: string }) {
  const points = values.map((value, index) => ({ value, index })).filter(p => p.value !== null) as Array<{
    value: number
    index: number
  }>
  const width = 120
  const height = 28
  if (points.length < 2)
    return (
      <span class="spark-none muted small" title={`${label}: not enough data for a chart`}>
        no chart yet
      </span>
    )
  const max = Math.max(...points.map(p => p.value), 1e-9)
  const min = Math.min(...points.map(p => p.value), 0)
  const x = (index: number) => (index / Math.max(values.length - 1, 1)) * (width - 2) + 1
  const y = (value: number) => height - 1 - ((value - min) / (max - min || 1)) * (height - 2)
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.index).toFixed(1)},${y(p.value).toFixed(1)}`).join('')
  const last = points[points.length - 1]?.value
  return (
    <svg class="spark" width={width} height={height} role="img" aria-label={`${label}, latest ${num(last)}`}>
      <path d={path} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  )
}

/**
 * A card. `busy` while it loads what it does not have yet (see Resource.pending): "Loading…" by its
 * title and aria-busy, so neither an empty card nor the previous filter's rows pass for the answer.
 */
const sectionId = (title: string) => `section-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`

/**
 * Brings a card's title into view when it is off screen: a phone stacks a signal's or run's detail
 * under the list, and a long list scrolls the detail beside it away, so choosing a row would
 * otherwise show nothing happening.
 */
export function reveal(title: string): void {
  requestAnimationFrame(() => {
    const heading = document.getElementById(sectionId(title))
    if (heading === null) return
    const { top, bottom } = heading.getBoundingClientRect()
    if (top < 0 || bottom > innerHeight) heading.closest('section')?.scrollIntoView({ block: 'start' })
  })
}

export function Section({
  title,
  children,
  actions,
  busy = false
}: {
  title: string
  children: ComponentChildren
  actions?: ComponentChildren
  busy?: boolean
}) {
  const id = sectionId(title)
  const ref = useRef<HTMLElement>(null)
  const [scrolls, setScrolls] = useState(false)
  // A card whose table is wider than the screen scrolls sideways: it then takes the focus, so
  // the keyboard can scroll it too. Measured after every render (new rows) and on resize.
  const measure = () => {
    const card = ref.current
    if (card !== null) setScrolls(card.scrollWidth > card.clientWidth)
  }
  useLayoutEffect(measure)
  useEffect(() => {
    addEventListener('resize', measure)
    return () => removeEventListener('resize', measure)
  }, [])
  return (
    <section class="card" aria-labelledby={id} aria-busy={busy} ref={ref} tabIndex={scrolls ? 0 : undefined}>
      <header class="card-head">
        <h2 id={id}>{title}</h2>
        {busy && <span class="loading">Loading…</span>}
        {actions}
      </header>
      {children}
    </section>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted empty">{children}</p>
}

/** Newer and Older for a list the API pages by cursor; `next` is the page's next_cursor. */
export function CursorPager({
  label,
  pages,
  next
}: {
  label: string
  pages: CursorPages
  next: string | null | undefined
}) {
  if (pages.number === 1 && (next === null || next === undefined)) return null
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={pages.number === 1} onClick={pages.newer}>
        Newer
      </button>
      <span>page {pages.number}</span>
      <button
        type="button"
        disabled={next === null || next === undefined}
        onClick={() => next != null && pages.older(next)}
      >
        Older
      </button>
    </nav>
  )
}

/**
 * A component's exact name as a list filter, applied once typing pauses, or at once on Enter or
 * leaving the field. What is typed is kept on every keystroke: a refresh (a live event, a page
 * arriving) re-renders the field, which would otherwise wipe text not yet applied.
 */
export function ComponentNameFilter({ onApply }: { onApply: (name: string) => void }) {
  const [draft, setDraft] = useState('')
  const filter = useTypedFilter(onApply)
  return (
    <label>
      Component
      <input
        type="search"
        value={draft}
        onInput={event => {
          setDraft(event.currentTarget.value)
          filter.later(event.currentTarget.value)
        }}
        onChange={event => filter.now(event.currentTarget.value)}
        placeholder="exact name"
      />
    </label>
  )
}
