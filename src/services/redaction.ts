// Strips personal data and credentials from free text before it leaves the process or is stored:
// prompts sent to the LLM, error messages the health monitor keeps. Redaction errs on the side of
// removing too much; a placeholder says what kind of thing was there so the text still reads.
import { isIPv6 } from 'node:net'

type Replacer = (match: string, ...groups: Array<string | undefined>) => string

interface Rule {
  pattern: RegExp
  replace: string | Replacer
}

// Names whose value is a credential, in key=value text and as keys of redactDeep's objects.
// Matched at the end of the name, so `api_key` and `db_password` count but `token_count` does not.
const SECRET_NAME =
  '(?:password|passwd|passphrase|pwd|pass|secret|token|api[_-]?key|apikey|key|auth|credentials?|session[_-]?id|signature|sig)'
const SECRET_KEY = new RegExp(`(?:${SECRET_NAME}|authorization|cookie)$`, 'i')

// Text that looks random enough to be a credential: mixed case and digits, not a path.
function looksLikeSecret(candidate: string): boolean {
  const longestPiece = candidate.split('/').reduce((longest, piece) => Math.max(longest, piece.length), 0)
  return longestPiece >= 16 && /\d/.test(candidate) && /[a-z]/.test(candidate) && /[A-Z]/.test(candidate)
}

function quoted(value: string, placeholder: string): string {
  const quote = value[0]
  return quote === '"' || quote === "'" ? `${quote}${placeholder}${quote}` : placeholder
}

// Order matters: credentials inside URLs go before e-mail addresses (user:pass@host looks like an
// address), IPv6 before IPv4 (::ffff:10.0.0.1 carries an IPv4 tail), specific before generic.
// Quantifiers are bounded or anchored to a run's start so a hostile string cannot make a rule slow.
const RULES: Rule[] = [
  {
    // The body stops at the first dash, so a run of BEGIN lines without an END stays linear.
    pattern: /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[^-]{1,16384}-----END [A-Z ]{0,40}PRIVATE KEY-----/g,
    replace: '[key]'
  },
  {
    // scheme://user:password@host keeps the user (useful for "role does not exist"), drops the
    // password; scheme://token@host has only a credential, so all of it goes.
    pattern: /\b([a-z][a-z0-9+.-]{0,30}:\/\/)([^\s:@/?#]{0,256})(?::([^\s/?#]{0,256}))?@/gi,
    replace: (_match, scheme = '', user = '', password) =>
      password === undefined ? `${scheme}[secret]@` : `${scheme}${user}:[secret]@`
  },
  {
    pattern: /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)(?:(bearer|basic|digest|token|apikey)\s+)?[^\s"',;]+/gi,
    replace: (_match, name = '', separator = '', scheme) =>
      `${name}${separator}${scheme === undefined ? '' : `${scheme} `}[token]`
  },
  {
    pattern: /\b((?:set-)?cookie)(["']?\s*:\s*)[^\r\n"]+/gi,
    replace: '$1$2[secret]'
  },
  {
    pattern: /\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi,
    replace: '$1 [token]'
  },
  {
    pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
    replace: '[token]'
  },
  {
    // Formats providers publish: OpenAI, Stripe, GitHub, Slack, Google, Supabase, AWS key ids.
    pattern:
      /\b(?:sk-[A-Za-z0-9_-]{16,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|sbp_[a-f0-9]{40}|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16})\b/g,
    replace: '[key]'
  },
  {
    pattern: new RegExp(
      `(?<![\\w.-])([\\w.-]{0,40}?${SECRET_NAME})(["']?\\s*[:=]\\s*)("[^"\\n]*"|'[^'\\n]*'|[^\\s"'&,;]+)`,
      'gi'
    ),
    replace: (_match, name = '', separator = '', value = '') => `${name}${separator}${quoted(value, '[secret]')}`
  },
  {
    // The local part takes RFC 5322's characters, bar = and / (so "user=a@b.io" keeps its
    // "user="); an apostrophe may not open it, so a quoted 'a@b.io' keeps its quotes.
    pattern:
      /(?<![\w.!#$%&*+?^`{|}~-])[\w.!#$%&*+?^`{|}~-][\w.!#$%&'*+?^`{|}~-]*@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b/g,
    replace: '[email]'
  },
  {
    // Candidates are checked with node:net so clock times (12:30:45) and MAC addresses stay.
    pattern:
      /(?<![\w:.])((?:[0-9A-Fa-f]{0,4}:){2,8}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3}))(?:%[\w.]{1,20})?(?![\w:]|\.\d)/g,
    replace: (match, address = '') => (/[0-9A-Fa-f]/.test(address) && isIPv6(address) ? '[ip]' : match)
  },
  {
    pattern: /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)/g,
    replace: '[ip]'
  },
  {
    pattern: /(?<![\w-])[0-9A-Fa-f]{32,}(?![\w-])/g,
    replace: '[secret]'
  },
  {
    pattern: /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}/g,
    replace: match => (looksLikeSecret(match) ? '[secret]' : match)
  }
]

export function redact(text: string): string {
  let result = text
  for (const { pattern, replace } of RULES) {
    result = typeof replace === 'string' ? result.replace(pattern, replace) : result.replace(pattern, replace)
  }
  return result
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

// ancestors holds the containers above this value: a repeat there is a cycle, while the same
// object met again elsewhere in the tree is redacted again.
function redactValue(value: unknown, ancestors: Set<object>): unknown {
  if (typeof value === 'string') return redact(value)
  if (!Array.isArray(value) && !isPlainObject(value)) return value
  if (ancestors.has(value)) return '[circular]'
  ancestors.add(value)
  let result: unknown
  if (Array.isArray(value)) {
    result = value.map(item => redactValue(item, ancestors))
  } else {
    const copy: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      copy[redact(key)] = typeof item === 'string' && SECRET_KEY.test(key) ? '[secret]' : redactValue(item, ancestors)
    }
    result = copy
  }
  ancestors.delete(value)
  return result
}

/**
 * Redacts every string in a JSON-like value (keys included), and replaces the string values of
 * keys named like credentials (`password`, `api_key`, `token`, ...) whatever they look like.
 * Returns a copy; values other than strings, arrays and plain objects are kept as they are.
 */
export function redactDeep<T>(value: T): T {
  return redactValue(value, new Set()) as T
}

// Query parameters whose value is a credential (?password=, &sslpassword=, ?token=...).
const CREDENTIAL_PARAMETER =
  /([?&;][\w.-]{0,40}?(?:password|passwd|pwd|pass|secret|token|api[_-]?key|apikey|auth))=[^&#;]*/gi

/**
 * A URL as it may be shown: the password of its user info replaced by ***, multi-host
 * PostgreSQL URLs (postgres://u:p@h1,h2/db) and malformed ones included, and so are credential
 * query parameters. The user info runs to the last @ before the query, so a password holding
 * an unencoded @ or / is masked whole rather than cut.
 */
export function maskUrlPassword<T extends string | null>(url: T): T {
  if (url === null) return url
  let masked: string = url
  const start = masked.indexOf('://')
  if (start !== -1) {
    const queryAt = masked.slice(start + 3).search(/[?#]/)
    const end = queryAt === -1 ? masked.length : start + 3 + queryAt
    const at = masked.lastIndexOf('@', end - 1)
    const colon = masked.indexOf(':', start + 3)
    if (at > start && colon !== -1 && colon < at) masked = `${masked.slice(0, colon)}:***${masked.slice(at)}`
  }
  return masked.replace(CREDENTIAL_PARAMETER, '$1=***') as T
}
