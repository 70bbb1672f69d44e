// The signed-in token, kept for the tab only (sessionStorage). `npm start` in embedded mode
// prints a link carrying the admin's token in the URL fragment (#token=...), which never
// reaches a server or a log; whatever page it opens, the token is taken from the fragment and
// the fragment is rewritten without it, so it leaves no trace in the history either.
const KEY = 'core314.console.token'
const TOKEN_IN_FRAGMENT = /(^#|[?&])token=([^&]*)&?/

export type CallerKind = 'user' | 'admin' | 'service'

export interface Who {
  kind: CallerKind
  userId: string | null
  organizationId: string | null
  /** When the token expires, in ms since the epoch. */
  expiresAt: number | null
}

export function takeTokenFromFragment(): void {
  const match = TOKEN_IN_FRAGMENT.exec(location.hash)
  if (match === null) return
  const value = decodeURIComponent(match[2] ?? '')
  if (value !== '') sessionStorage.setItem(KEY, value)
  const rest = location.hash.replace(TOKEN_IN_FRAGMENT, '$1').replace(/[?&#]$/, '')
  history.replaceState(null, '', `${location.pathname}${rest === '' ? '#/monitor' : rest}`)
}

export function currentToken(): string | null {
  return sessionStorage.getItem(KEY)
}

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, token.trim().replace(/^Bearer\s+/i, ''))
}

export function signOut(): void {
  sessionStorage.removeItem(KEY)
}

/** What the sign-in form says after the service refused the token mid-session. */
export const REFUSED =
  'The service refused your token: it expired or is not valid here. Sign in again with a fresh one.'

const endedListeners = new Set<(reason: string) => void>()

/** Called with the reason when the session ends by itself (the token expired or was refused). */
export function onSessionEnded(listener: (reason: string) => void): () => void {
  endedListeners.add(listener)
  return () => endedListeners.delete(listener)
}

/**
 * Forgets the token and sends the person back to the sign-in form with the reason: once the
 * service refuses a token, every panel would otherwise repeat the same 401, with Retry buttons
 * that cannot succeed.
 */
export function endSession(reason: string): void {
  if (currentToken() === null) return
  signOut()
  for (const listener of endedListeners) listener(reason)
}

const at = (ms: number) => new Date(ms).toLocaleString(undefined, { timeZoneName: 'short' })

/** Why this token cannot sign in, judged from its own claims; null when it may be tried. */
export function tokenProblem(token: string): string | null {
  const caller = who(token)
  if (caller === null) return 'That is not a bearer token (a JWT: three parts separated by dots).'
  if (caller.expiresAt !== null && caller.expiresAt <= Date.now())
    return `That token expired at ${at(caller.expiresAt)}. Sign in with a fresh one.`
  return null
}

export function expiredMessage(expiresAt: number): string {
  return `Your token expired at ${at(expiresAt)}. Sign in again with a fresh one.`
}

/** What the token claims, for showing the right controls; the service checks every call itself. */
export function who(token: string): Who | null {
  try {
    const payload = token.split('.')[1] ?? ''
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    const claims = JSON.parse(json) as {
      sub?: string
      role?: string
      exp?: number
      app_metadata?: { role?: string; organization_id?: string }
    }
    const kind: CallerKind =
      claims.role === 'service_role' ? 'service' : claims.app_metadata?.role === 'admin' ? 'admin' : 'user'
    return {
      kind,
      userId: claims.sub ?? null,
      organizationId: claims.app_metadata?.organization_id ?? null,
      expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null
    }
  } catch {
    return null
  }
}
