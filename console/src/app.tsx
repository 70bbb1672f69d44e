// The console's shell: sign-in, the panels behind hash routes (#/monitor, #/anomalies,
// #/recovery, #/selftests, #/silences and #/runbooks where the service has them,
// #/component/<name>[/<organization id | platform>]),
// the caller, and the live stream's state.
import { useEffect, useState } from 'preact/hooks'
import { ownerOf } from './component-route'
import { startLive, type LiveStatus } from './live'
import { AnomalyConsole } from './panels/anomaly-console'
import { ComponentPage } from './panels/component-page'
import { RecoveryManager } from './panels/recovery-manager'
import { RunbookRuns } from './panels/runbook-runs'
import { SelfTestPanel } from './panels/selftest-panel'
import { SilencesPanel } from './panels/silences'
import { SystemMonitor } from './panels/system-monitor'
import {
  currentToken,
  endSession,
  expiredMessage,
  onSessionEnded,
  signIn,
  signOut,
  takeTokenFromFragment,
  tokenProblem,
  who,
  type Who
} from './session'

const PANELS = [
  { route: 'monitor', title: 'System monitor' },
  { route: 'anomalies', title: 'Anomalies' },
  { route: 'recovery', title: 'Recovery' },
  { route: 'selftests', title: 'Self-tests' },
  { route: 'silences', title: 'Silences' },
  { route: 'runbooks', title: 'Runbooks' }
] as const

function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const changed = () => {
      takeTokenFromFragment()
      const next = read()
      setRoute(current => (current.join('/') === next.join('/') ? current : next))
    }
    addEventListener('hashchange', changed)
    // The listener starts after the first render: a hash that changed before it would be missed.
    changed()
    return () => removeEventListener('hashchange', changed)
  }, [])
  return route
}

function SignIn({ onSignedIn, reason }: { onSignedIn: () => void; reason: string | null }) {
  const [value, setValue] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const message = problem ?? reason
  return (
    <main id="main" class="signin">
      <h1>Core314 console</h1>
      {message !== null && (
        <p class="notice" role="alert">
          {message}
        </p>
      )}
      <form
        onSubmit={event => {
          event.preventDefault()
          const token = value.trim().replace(/^Bearer\s+/i, '')
          if (token === '') return
          const refused = tokenProblem(token)
          setProblem(refused)
          if (refused !== null) return
          signIn(token)
          onSignedIn()
        }}
      >
        <label for="token">Bearer token</label>
        <textarea
          id="token"
          rows={5}
          value={value}
          aria-invalid={problem !== null}
          onInput={event => setValue(event.currentTarget.value)}
        />
        <p class="muted small">
          Kept for this tab only. <code>npm start</code> in embedded mode prints a link that signs the admin in.
        </p>
        <button type="submit">Sign in</button>
      </form>
    </main>
  )
}

const KIND_LABEL = { admin: 'admin', user: 'member', service: 'service (read-only)' }

/** The stored token, unless its own claims already rule it out (a link with an expired one). */
function initialSession(): { token: string | null; reason: string | null } {
  const token = currentToken()
  const problem = token === null ? null : tokenProblem(token)
  if (problem === null) return { token, reason: null }
  signOut()
  return { token: null, reason: problem }
}

export function App() {
  const [session] = useState(initialSession)
  const [token, setToken] = useState(session.token)
  const [ended, setEnded] = useState(session.reason)
  const [live, setLive] = useState<LiveStatus>('connecting')
  const route = useRoute()
  const caller: Who | null = token === null ? null : who(token)
  useEffect(
    () =>
      onSessionEnded(reason => {
        setEnded(reason)
        setToken(null)
      }),
    []
  )
  useEffect(() => {
    if (token === null) return
    return startLive(setLive)
  }, [token])
  // A sign-in link opened in this tab while it shows the form: its fragment stored a token.
  useEffect(() => {
    if (token !== null || currentToken() === null) return
    const next = initialSession()
    setEnded(next.reason)
    setToken(next.token)
  }, [route])
  // Expiry ends the session on time, with a message that says so, instead of at the next refusal.
  const expiresAt = caller?.expiresAt ?? null
  useEffect(() => {
    if (expiresAt === null) return
    const timer = setTimeout(() => endSession(expiredMessage(expiresAt)), Math.min(expiresAt - Date.now(), 2 ** 31 - 1))
    return () => clearTimeout(timer)
  }, [expiresAt])
  const [page = 'monitor', ...rest] = route
  const current = page === '' ? 'monitor' : page
  const title =
    PANELS.find(panel => panel.route === current)?.title ?? (current === 'component' ? 'Component' : 'System monitor')
  const component = current === 'component' ? rest[0] : undefined
  useEffect(() => {
    document.title = token === null ? 'Sign in · Core314 console' : `${component ?? title} · Core314 console`
  }, [token, title, component])
  if (token === null || caller === null)
    return (
      <SignIn
        reason={ended}
        onSignedIn={() => {
          setEnded(null)
          setToken(currentToken())
        }}
      />
    )

  let content
  if (component !== undefined) {
    const owner = ownerOf(rest[1])
    content = <ComponentPage key={JSON.stringify([component, owner])} name={component} owner={owner} caller={caller} />
  } else if (current === 'anomalies') content = <AnomalyConsole caller={caller} />
  else if (current === 'recovery') content = <RecoveryManager caller={caller} />
  else if (current === 'selftests') content = <SelfTestPanel caller={caller} />
  else if (current === 'silences') content = <SilencesPanel caller={caller} />
  else if (current === 'runbooks') content = <RunbookRuns />
  else content = <SystemMonitor caller={caller} />

  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={event => {
          event.preventDefault()
          document.getElementById('main')?.focus()
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Core314</span>
        <nav aria-label="Panels">
          <ul>
            {PANELS.map(panel => (
              <li key={panel.route}>
                <a href={`#/${panel.route}`} aria-current={panel.route === current ? 'page' : undefined}>
                  {panel.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`live live-${live}`} role="status" aria-live="polite">
          {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Offline, retrying'}
        </span>
        <span class="who">{KIND_LABEL[caller.kind]}</span>
        <button
          type="button"
          class="link"
          onClick={() => {
            signOut()
            setToken(null)
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{title}</h1>
        {content}
      </main>
    </>
  )
}
