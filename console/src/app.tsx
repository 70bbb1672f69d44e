// The console's shell: sign-in, the panels behind hash routes (#/monitor, #/anomalies,
// #/recovery, #/selftests, #/silences and #/runbooks where the service has them, #/component/<name>),
// the caller, and the live stream's state.
import { useEffect, useState } from 'preact/hooks'
import { startLive, type LiveStatus } from './live'
import { AnomalyConsole } from './panels/anomaly-console'
import { ComponentPage } from './panels/component-page'
import { RecoveryManager } from './panels/recovery-manager'
import { RunbookRuns } from './panels/runbook-runs'
import { SelfTestPanel } from './panels/selftest-panel'
import { SilencesPanel } from './panels/silences'
import { SystemMonitor } from './panels/system-monitor'
import { currentToken, signIn, signOut, takeTokenFromFragment, who, type Who } from './session'

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
      setRoute(read())
    }
    addEventListener('hashchange', changed)
    return () => removeEventListener('hashchange', changed)
  }, [])
  return route
}

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [value, setValue] = useState('')
  return (
    <main id="main" class="signin">
      <h1>Core314 console</h1>
      <form
        onSubmit={event => {
          event.preventDefault()
          if (value.trim() === '') return
          signIn(value)
          onSignedIn()
        }}
      >
        <label for="token">Bearer token</label>
        <textarea id="token" rows={5} value={value} onInput={event => setValue(event.currentTarget.value)} />
        <p class="muted small">
          Kept for this tab only. <code>npm start</code> in embedded mode prints a link that signs the admin in.
        </p>
        <button type="submit">Sign in</button>
      </form>
    </main>
  )
}

const KIND_LABEL = { admin: 'admin', user: 'member', service: 'service (read-only)' }

export function App() {
  const [token, setToken] = useState(currentToken)
  const [live, setLive] = useState<LiveStatus>('connecting')
  const route = useRoute()
  const caller: Who | null = token === null ? null : who(token)
  useEffect(() => {
    if (token === null) return
    return startLive(setLive)
  }, [token])
  if (token === null || caller === null)
    return (
      <SignIn
        onSignedIn={() => {
          setToken(currentToken())
        }}
      />
    )

  const [page = 'monitor', ...rest] = route
  const current = page === '' ? 'monitor' : page
  let content
  if (current === 'component' && rest[0] !== undefined) content = <ComponentPage name={rest[0]} caller={caller} />
  else if (current === 'anomalies') content = <AnomalyConsole caller={caller} />
  else if (current === 'recovery') content = <RecoveryManager caller={caller} />
  else if (current === 'selftests') content = <SelfTestPanel caller={caller} />
  else if (current === 'silences') content = <SilencesPanel caller={caller} />
  else if (current === 'runbooks') content = <RunbookRuns />
  else content = <SystemMonitor />
  const title =
    PANELS.find(panel => panel.route === current)?.title ?? (current === 'component' ? 'Component' : 'System monitor')

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
