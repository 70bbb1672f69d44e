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
